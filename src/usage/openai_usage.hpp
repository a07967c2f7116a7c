#pragma once
// Where OpenAI answers carry usage, and how it is read into a usage_result:
// Chat Completions (a JSON answer, or an SSE stream of chat.completion.chunk
// objects with no event names ending in `data: [DONE]`) and the Responses API
// (a JSON answer, or named SSE events). Both put their counts in a top-level
// `usage`, told apart by its keys: prompt_tokens/completion_tokens (Chat) or
// input_tokens/output_tokens (Responses).
//
// Rows follow the usage_result semantics shared by every provider:
// input_tokens = prompt tokens not read from the cache (prompt - cached, never
// below 0), cache_read_input_tokens = cached tokens, output_tokens = all output
// tokens (reasoning tokens are already counted in them).
#include "usage/usage_dialect.hpp"

namespace passgate::usage {

const usage_dialect& openai_dialect();

}  // namespace passgate::usage

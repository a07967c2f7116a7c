#pragma once
// Where Gemini answers carry usage, and how it is read into a usage_result:
// generateContent (one GenerateContentResponse JSON object) and
// streamGenerateContent?alt=sse (one GenerateContentResponse per SSE event, no
// event names, each carrying the cumulative usageMetadata and the
// modelVersion). Without alt=sse the stream is a JSON array, which the tap's
// JSON scanner does not read.
//
// Rows follow the usage_result semantics shared by every provider:
// input_tokens = promptTokenCount - cachedContentTokenCount (never below 0)
// + toolUsePromptTokenCount, cache_read_input_tokens = cachedContentTokenCount,
// output_tokens = candidatesTokenCount + thoughtsTokenCount.
#include "usage/usage_dialect.hpp"

namespace passgate::usage {

const usage_dialect& gemini_dialect();

}  // namespace passgate::usage

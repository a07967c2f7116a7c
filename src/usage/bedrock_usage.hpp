#pragma once
// Usage in Bedrock's streamed answers: each event-stream "chunk" message holds
// {"bytes":"<base64 of one Anthropic stream event>"}; the last event also
// carries "amazon-bedrock-invocationMetrics" with the token counts; an
// "exception" message names what went wrong.
#include <string>
#include <string_view>

#include "usage/eventstream_reader.hpp"
#include "usage/usage_dialect.hpp"
#include "usage/usage_result.hpp"

namespace passgate::usage {

// One event-stream message, read with `events` (Anthropic's). `scratch` is
// reused between messages. False when a chunk's payload is not what Bedrock sends.
bool apply_bedrock_message(const eventstream_message& m, const usage_dialect& events, usage_result& out,
                           std::string& scratch);

}  // namespace passgate::usage

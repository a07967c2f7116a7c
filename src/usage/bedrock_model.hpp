#pragma once
// The model a Bedrock request names in its path, as a name the price table and
// the spend rows share with the Anthropic API.
#include <string>
#include <string_view>

namespace passgate::usage {

// "/model/{modelId}/invoke…" → modelId percent-decoded, with an inference
// profile's region prefix and the "anthropic." vendor prefix dropped, and an
// ARN reduced to its last segment:
//   "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/invoke" → "claude-sonnet-4-20250514-v1:0"
// "" when the path names no model. At most 256 bytes; not yet cleaned for a row.
std::string bedrock_model(std::string_view path);

}  // namespace passgate::usage

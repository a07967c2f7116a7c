#include "usage/bedrock_usage.hpp"

#include "usage/anthropic_usage.hpp"
#include "usage/json_document.hpp"

namespace passgate::usage {
namespace {

// The value of the payload's "bytes" member: base64 has no characters JSON must
// escape, but an encoder may still write '/' as "\/".
bool bytes_member(std::string_view payload, std::string& out) {
  constexpr std::string_view key = "\"bytes\"";
  auto at = payload.find(key);
  if (at == std::string_view::npos) return false;
  payload.remove_prefix(at + key.size());
  at = payload.find_first_not_of(" \t\r\n");
  if (at == std::string_view::npos || payload[at] != ':') return false;
  payload.remove_prefix(at + 1);
  at = payload.find_first_not_of(" \t\r\n");
  if (at == std::string_view::npos || payload[at] != '"') return false;
  payload.remove_prefix(at + 1);
  out.clear();
  for (std::size_t i = 0; i < payload.size(); ++i) {
    const char c = payload[i];
    if (c == '"') return true;
    if (c == '\\') {
      if (i + 1 >= payload.size() || payload[i + 1] != '/') return false;
      ++i;
    }
    out.push_back(payload[i]);
  }
  return false;
}

// The counts Bedrock measured itself, for a stream whose events carried none.
void apply_invocation_metrics(std::string_view event, usage_result& out) {
  if (out.saw_usage || event.find("amazon-bedrock-invocationMetrics") == std::string_view::npos) return;
  const auto* root = json_document::parse_value(event);
  const auto* event_object = root ? root->if_object() : nullptr;
  const auto* m = event_object ? json_document::object_member(*event_object, "amazon-bedrock-invocationMetrics") : nullptr;
  if (!m) return;
  json_document::set_count(out.input_tokens, json_document::count_member(m, "inputTokenCount"), out);
  json_document::set_count(out.output_tokens, json_document::count_member(m, "outputTokenCount"), out);
  json_document::set_count(out.cache_read_input_tokens, json_document::count_member(m, "cacheReadInputTokenCount"), out);
  json_document::set_count(out.cache_creation_input_tokens, json_document::count_member(m, "cacheWriteInputTokenCount"), out);
}

}  // namespace

void apply_converse_usage(const json_document::json::object& u, usage_result& out) {
  using json_document::count_member;
  using json_document::set_count;
  set_count(out.input_tokens, count_member(&u, "inputTokens"), out);
  set_count(out.output_tokens, count_member(&u, "outputTokens"), out);
  set_count(out.cache_read_input_tokens, count_member(&u, "cacheReadInputTokens"), out);
  set_count(out.cache_creation_input_tokens, count_member(&u, "cacheWriteInputTokens"), out);
}

namespace {

// Bedrock's own answers (the Converse API) beside Anthropic's (invoke):
// Anthropic's rules first, then Converse's camelCase `usage` member.
bool apply_bedrock_member(std::string_view key, std::string_view raw_value, usage_result& out) {
  if (!apply_answer_member(key, raw_value, out)) return false;
  if (key == "usage" && !out.saw_usage) {
    const auto* v = json_document::parse_value(raw_value);
    if (const auto* u = v ? v->if_object() : nullptr) apply_converse_usage(*u, out);
  }
  return true;
}

bool may_carry_usage(std::string_view name, std::string_view data_prefix) {
  return anthropic_dialect().may_carry_usage(name, data_prefix);
}

// Streams (invoke-with-response-stream's chunks) are Anthropic's events.
constexpr usage_dialect bedrock{"bedrock", is_usage_event, apply_stream_event, may_carry_usage, is_answer_member,
                                apply_bedrock_member};

}  // namespace

const usage_dialect& bedrock_dialect() { return bedrock; }

bool apply_bedrock_message(const eventstream_message& m, const usage_dialect& events, usage_result& out,
                           std::string& scratch) {
  if (m.message_type == "exception" || m.message_type == "error") {
    const auto type = m.message_type == "exception" ? m.exception_type : m.error_code;
    out.error_type.assign(type.substr(0, usage_result::max_error_type_chars));
    if (out.error_type.empty()) out.error_type = "exception";
    return true;
  }
  if (m.event_type == "metadata") {  // converse-stream: {"usage":{"inputTokens":…},"metrics":{…}}
    const auto* v = json_document::parse_value(m.payload);
    const auto* event = v ? v->if_object() : nullptr;
    if (!event) return false;
    if (const auto* u = json_document::object_member(*event, "usage")) apply_converse_usage(*u, out);
    return true;
  }
  if (m.event_type != "chunk") return true;  // nothing else carries usage
  thread_local std::string encoded;  // keeps its capacity chunk after chunk
  if (!bytes_member(m.payload, encoded) || !decode_base64(encoded, scratch)) return false;
  if (!events.apply_stream_event("", scratch, out)) return false;
  apply_invocation_metrics(scratch, out);
  return true;
}

}  // namespace passgate::usage

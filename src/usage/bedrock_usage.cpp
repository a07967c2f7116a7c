#include "usage/bedrock_usage.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace passgate::usage {
namespace {

namespace json = boost::json;

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

std::optional<std::int64_t> count(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (auto* n = v->if_int64(); n && *n >= 0) return *n;
  if (auto* n = v->if_uint64()) return static_cast<std::int64_t>(*n);
  return std::nullopt;
}

// The counts Bedrock measured itself, for a stream whose events carried none.
void apply_invocation_metrics(std::string_view event, usage_result& out) {
  if (out.saw_usage || event.find("amazon-bedrock-invocationMetrics") == std::string_view::npos) return;
  boost::system::error_code ec;
  const auto v = json::parse(json::string_view(event.data(), event.size()), ec);
  if (ec || !v.is_object()) return;
  const auto* m = v.get_object().if_contains("amazon-bedrock-invocationMetrics");
  if (!m || !m->is_object()) return;
  const auto& o = m->get_object();
  if (auto n = count(o, "inputTokenCount")) out.input_tokens = n, out.saw_usage = true;
  if (auto n = count(o, "outputTokenCount")) out.output_tokens = n, out.saw_usage = true;
  if (auto n = count(o, "cacheReadInputTokenCount")) out.cache_read_input_tokens = n;
  if (auto n = count(o, "cacheWriteInputTokenCount")) out.cache_creation_input_tokens = n;
}

}  // namespace

bool apply_bedrock_message(const eventstream_message& m, const usage_dialect& events, usage_result& out,
                           std::string& scratch) {
  if (m.message_type == "exception" || m.message_type == "error") {
    const auto type = m.message_type == "exception" ? m.exception_type : m.error_code;
    out.error_type.assign(type.substr(0, usage_result::max_error_type_chars));
    if (out.error_type.empty()) out.error_type = "exception";
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

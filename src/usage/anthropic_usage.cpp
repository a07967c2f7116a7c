#include "usage/anthropic_usage.hpp"

#include "usage/usage_json.hpp"

namespace passgate::usage {
namespace {

// One usage_json per thread: its strings keep their capacity between texts.
usage_json& thread_reader() {
  thread_local usage_json reader;
  return reader;
}

void set_count(std::optional<std::int64_t>& field, const std::optional<std::int64_t>& n, usage_result& out) {
  if (n) {
    field = n;
    out.saw_usage = true;
  }
}

// Fields present override earlier ones (message_delta carries cumulative usage).
void apply_usage(const usage_counts& c, usage_result& out) {
  set_count(out.input_tokens, c.input_tokens, out);
  set_count(out.output_tokens, c.output_tokens, out);
  set_count(out.cache_creation_input_tokens, c.cache_creation_input_tokens, out);
  set_count(out.cache_read_input_tokens, c.cache_read_input_tokens, out);
  set_count(out.cache_creation_5m_input_tokens, c.cache_creation_5m_input_tokens, out);
  set_count(out.cache_creation_1h_input_tokens, c.cache_creation_1h_input_tokens, out);
}

}  // namespace

bool is_usage_event(std::string_view name) {
  return name.empty() || name == "message_start" || name == "message_delta" || name == "error";
}

bool apply_stream_event(std::string_view name, std::string_view data, usage_result& out) {
  auto& event = thread_reader();
  if (!event.read(data) || event.kind != usage_json::root::object) return false;
  const std::string_view type = name.empty() ? std::string_view(event.type) : name;
  if (type == "message_start") {
    if (event.has_message_model) out.model = event.message_model;
    apply_usage(event.message_usage, out);
  } else if (type == "message_delta") {
    apply_usage(event.usage, out);
  } else if (type == "error") {
    if (event.has_error_type) out.error_type = event.error_type;
  }
  return true;
}

std::string_view sniff_event_type(std::string_view data) {
  auto at = data.find("\"type\"");
  if (at == std::string_view::npos) return {};
  data.remove_prefix(at + 6);
  at = data.find_first_not_of(" \t:");
  if (at == std::string_view::npos || data[at] != '"') return {};
  data.remove_prefix(at + 1);
  const auto close = data.find('"');
  return close == std::string_view::npos ? std::string_view() : data.substr(0, close);
}

bool is_answer_member(std::string_view key) {
  return key == "model" || key == "usage" || key == "error" || key == "input_tokens";
}

bool apply_answer_member(std::string_view key, std::string_view raw_value, usage_result& out) {
  auto& value = thread_reader();
  if (!value.read(raw_value)) return false;
  using root = usage_json::root;
  if (key == "model") {
    if (value.kind == root::string) out.model = value.root_string;
  } else if (key == "usage") {
    if (value.kind == root::object) apply_usage(value.counts, out);
  } else if (key == "error") {
    // {"type":"overloaded_error","message":"…"}
    if (value.kind == root::object && !value.type.empty()) out.error_type = value.type;
  } else if (key == "input_tokens") {
    set_count(out.input_tokens, value.root_count, out);
  }
  return true;
}

namespace {

bool may_carry_usage(std::string_view name, std::string_view data_prefix) {
  return is_usage_event(name.empty() ? sniff_event_type(data_prefix) : name);
}

constexpr usage_dialect anthropic{"anthropic", is_usage_event, apply_stream_event, may_carry_usage,
                                  is_answer_member, apply_answer_member};

}  // namespace

const usage_dialect& anthropic_dialect() { return anthropic; }

}  // namespace passgate::usage

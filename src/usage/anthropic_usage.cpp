#include "usage/anthropic_usage.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

namespace passgate::usage {
namespace json = boost::json;
namespace {

// The events and members parsed here are small (a message_start is well under
// 4 KiB): a per-thread buffer holds their DOM, so parsing allocates nothing.
// Each value lives only inside the call that made it.
struct parse_memory {
  alignas(std::max_align_t) unsigned char buffer[8192];
};

std::optional<json::value> parse(std::string_view text, json::monotonic_resource& mr) {
  boost::system::error_code ec;
  auto v = json::parse(json::string_view(text.data(), text.size()), ec, &mr);
  if (ec) return std::nullopt;
  return v;
}

json::monotonic_resource scratch_resource() {
  thread_local parse_memory memory;
  return json::monotonic_resource(memory.buffer, sizeof memory.buffer);
}

std::optional<std::int64_t> token_count(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (const auto* i = v->if_int64(); i && *i >= 0) return *i;
  if (const auto* u = v->if_uint64();
      u && *u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(*u);
  }
  return std::nullopt;  // null (message_delta may send it), negative or not a number
}

void set_count(std::optional<std::int64_t>& field, const json::value* v, usage_result& out) {
  if (auto n = token_count(v)) {
    field = n;
    out.saw_usage = true;
  }
}

void apply_usage(const json::object& usage, usage_result& out) {
  set_count(out.input_tokens, usage.if_contains("input_tokens"), out);
  set_count(out.output_tokens, usage.if_contains("output_tokens"), out);
  set_count(out.cache_creation_input_tokens, usage.if_contains("cache_creation_input_tokens"), out);
  set_count(out.cache_read_input_tokens, usage.if_contains("cache_read_input_tokens"), out);
  if (const auto* split = usage.if_contains("cache_creation"); split && split->is_object()) {
    const auto& o = split->get_object();
    set_count(out.cache_creation_5m_input_tokens, o.if_contains("ephemeral_5m_input_tokens"), out);
    set_count(out.cache_creation_1h_input_tokens, o.if_contains("ephemeral_1h_input_tokens"), out);
  }
}

void apply_usage(const json::value* usage, usage_result& out) {
  if (usage && usage->is_object()) apply_usage(usage->get_object(), out);
}

void apply_model(const json::value* model, usage_result& out) {
  if (const auto* s = model ? model->if_string() : nullptr) {
    out.model.assign(s->data(), std::min(s->size(), usage_result::max_model_chars));
  }
}

// {"type":"overloaded_error","message":"…"}
void apply_error(const json::value* error, usage_result& out) {
  const auto* o = error ? error->if_object() : nullptr;
  const auto* type = o ? o->if_contains("type") : nullptr;
  if (const auto* s = type ? type->if_string() : nullptr) {
    out.error_type.assign(s->data(), std::min(s->size(), usage_result::max_error_type_chars));
  }
}

std::string_view string_member(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  const auto* s = v ? v->if_string() : nullptr;
  return s ? std::string_view(s->data(), s->size()) : std::string_view();
}

}  // namespace

bool is_usage_event(std::string_view name) {
  return name.empty() || name == "message_start" || name == "message_delta" || name == "error";
}

bool apply_stream_event(std::string_view name, std::string_view data, usage_result& out) {
  auto mr = scratch_resource();
  const auto v = parse(data, mr);
  const auto* event = v ? v->if_object() : nullptr;
  if (event == nullptr) return false;
  const auto type = name.empty() ? string_member(*event, "type") : name;
  if (type == "message_start") {
    if (const auto* message = event->if_contains("message"); message && message->is_object()) {
      apply_model(message->get_object().if_contains("model"), out);
      apply_usage(message->get_object().if_contains("usage"), out);
    }
  } else if (type == "message_delta") {
    apply_usage(event->if_contains("usage"), out);
  } else if (type == "error") {
    apply_error(event->if_contains("error"), out);
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
  auto mr = scratch_resource();
  const auto v = parse(raw_value, mr);
  if (!v) return false;
  if (key == "model") {
    apply_model(&*v, out);
  } else if (key == "usage") {
    apply_usage(&*v, out);
  } else if (key == "error") {
    apply_error(&*v, out);
  } else if (key == "input_tokens") {
    set_count(out.input_tokens, &*v, out);
  }
  return true;
}

}  // namespace passgate::usage

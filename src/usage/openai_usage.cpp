#include "usage/openai_usage.hpp"
#include "usage/json_document.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

namespace passgate::usage {
namespace {

namespace json = boost::json;
using namespace json_document;

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_json_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_json_space(s.back())) s.remove_suffix(1);
  return s;
}

const json::object* parse_object(std::string_view text) {
  const json::value* root = parse_value(text);
  return root ? root->if_object() : nullptr;
}

// Names the error after `v` when it is a usable string (or, where `integer`
// is allowed, an integer such as an HTTP status). False: `v` names nothing.
bool take_error_name(const json::value* v, bool integer, usage_result& out) {
  if (const auto text = row_text(v); !text.empty()) {
    assign_capped(out.error_type, text, usage_result::max_error_type_chars);
    return true;
  }
  if (!integer || !v || !(v->is_int64() || v->is_uint64())) return false;
  char digits[24];
  const auto r = v->is_int64() ? std::to_chars(digits, digits + sizeof digits, v->get_int64())
                               : std::to_chars(digits, digits + sizeof digits, v->get_uint64());
  out.error_type.assign(digits, r.ptr);
  return true;
}

// An error object: {"message","type","param","code"} (Chat Completions and
// JSON error bodies) or {"code","message"} (a Responses API response.error).
// Its type, else its code; an error that names neither is still an error.
void apply_error(const json::object& e, usage_result& out) {
  if (take_error_name(member(e, "type"), false, out)) return;
  if (take_error_name(member(e, "code"), true, out)) return;
  out.error_type = "error";
}

// A Responses API `error` event: {"type":"error","code","message","param",
// "sequence_number"}; some servers nest the fields in an "error" object.
void apply_error_event(const json::object& event, usage_result& out) {
  if (take_error_name(member(event, "code"), true, out)) return;
  if (const auto* nested = object_member(event, "error")) return apply_error(*nested, out);
  out.error_type = "error";
}

// A `usage` object, Chat Completions' or the Responses API's, told apart by
// its keys. Reasoning tokens are part of completion/output tokens already.
void apply_usage(const json::object& u, usage_result& out) {
  auto prompt = count_member(&u, "prompt_tokens");
  if (!prompt) prompt = count_member(&u, "input_tokens");
  auto cached = count_member(object_member(u, "prompt_tokens_details"), "cached_tokens");
  if (!cached) cached = count_member(object_member(u, "input_tokens_details"), "cached_tokens");
  auto output = count_member(&u, "completion_tokens");
  if (!output) output = count_member(&u, "output_tokens");

  set_count(out.cache_read_input_tokens, cached, out);
  if (prompt) {
    // Without a cached count here, the one already in the row (if any) is
    // taken, so that input + cache read stays the prompt.
    const std::int64_t read = cached ? *cached : out.cache_read_input_tokens.value_or(0);
    set_count(out.input_tokens, std::max<std::int64_t>(0, *prompt - read), out);
  }
  set_count(out.output_tokens, output, out);
}

enum class event_kind {
  chunk,     // no event: line: a chat.completion.chunk (or [DONE])
  started,   // response.created, response.in_progress: the model
  finished,  // response.completed, response.incomplete, response.failed: model, usage, error
  error,     // error
  other,
};

event_kind kind_of(std::string_view name) {
  if (name.empty()) return event_kind::chunk;
  if (name == "response.completed" || name == "response.incomplete" || name == "response.failed") {
    return event_kind::finished;
  }
  if (name == "response.created" || name == "response.in_progress") return event_kind::started;
  if (name == "error") return event_kind::error;
  return event_kind::other;
}

// A Responses API event's data: {"type", "sequence_number", "response":{…}}
// or, for `error`, the error's fields.
void apply_response_event(event_kind kind, const json::object& event, usage_result& out) {
  if (kind == event_kind::error) return apply_error_event(event, out);
  const json::object* response = object_member(event, "response");
  if (!response) return;
  take_model(member(*response, "model"), out);
  if (kind != event_kind::finished) return;
  if (const auto* u = object_member(*response, "usage")) apply_usage(*u, out);
  if (const auto* e = object_member(*response, "error")) apply_error(*e, out);  // null: none
}

// A Chat Completions chunk: {"id","object":"chat.completion.chunk","model",
// "choices":[…],"usage":null|{…}}, or {"error":{…}}, or [DONE].
bool apply_chunk(std::string_view data, usage_result& out) {
  if (trim(data) == "[DONE]") return true;
  // Most chunks carry only content: once the model is known, one with no
  // usage or error object is passed over without a parse.
  if (!out.model.empty() && !has_object_member(data, "\"usage\"") && !has_object_member(data, "\"error\"")) {
    return true;
  }
  const json::object* chunk = parse_object(data);
  if (!chunk) return false;
  // Responses API events sent without event: lines name themselves in "type".
  if (const auto type = row_text(member(*chunk, "type")); !type.empty()) {
    const auto kind = kind_of(type);
    if (kind == event_kind::started || kind == event_kind::finished || kind == event_kind::error) {
      apply_response_event(kind, *chunk, out);
      return true;
    }
  }
  take_model(member(*chunk, "model"), out);
  if (const auto* u = object_member(*chunk, "usage")) apply_usage(*u, out);
  if (const auto* e = object_member(*chunk, "error")) apply_error(*e, out);
  return true;
}

bool wants_event(std::string_view name) { return kind_of(name) != event_kind::other; }

bool apply_stream_event(std::string_view name, std::string_view data, usage_result& out) {
  const auto kind = kind_of(name);
  switch (kind) {
    case event_kind::chunk:
      return apply_chunk(data, out);
    case event_kind::started:
      if (!out.model.empty()) return true;  // response.in_progress repeats response.created
      [[fallthrough]];
    case event_kind::finished:
    case event_kind::error: {
      const json::object* event = parse_object(data);
      if (!event) return false;
      apply_response_event(kind, *event, out);
      return true;
    }
    case event_kind::other:
      break;
  }
  return true;
}

bool may_carry_usage(std::string_view name, std::string_view data_prefix) {
  switch (kind_of(name)) {
    case event_kind::chunk: return data_prefix.find("usage") != std::string_view::npos;
    case event_kind::finished: return true;  // its output comes before its usage
    default: return false;
  }
}

bool wants_member(std::string_view key) { return key == "model" || key == "usage" || key == "error"; }

// A Chat Completions answer ("object":"chat.completion"), a Responses API
// answer ("object":"response", "error" null unless it failed), or an error
// body {"error":{…}}.
bool apply_answer_member(std::string_view key, std::string_view raw_value, usage_result& out) {
  const json::value* value = parse_value(raw_value);
  if (!value) return false;
  if (key == "model") {
    take_model(value, out);
  } else if (key == "usage") {
    if (const auto* u = value->if_object()) apply_usage(*u, out);
  } else if (key == "error") {
    if (const auto* e = value->if_object()) apply_error(*e, out);
  }
  return true;
}

}  // namespace

const usage_dialect& openai_dialect() {
  static constexpr usage_dialect dialect{
      "openai", &wants_event, &apply_stream_event, &may_carry_usage, &wants_member, &apply_answer_member,
  };
  return dialect;
}

}  // namespace passgate::usage

#include "usage/openai_usage.hpp"

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

// Parses one captured text into a document. One per thread: the document's
// first 8 KiB come from a buffer inside it (a usage chunk, a response.completed
// without a long output, parse without touching the heap) and the parser keeps
// its stack between texts. Parsing happens only for the few texts that may
// carry usage, so a document is simpler than a path-matching reader here.
class document_reader {
 public:
  document_reader() : parser_(json::storage_ptr(), options()) {}
  document_reader(const document_reader&) = delete;
  document_reader& operator=(const document_reader&) = delete;

  // The root of `text`, or nullptr when it is not exactly one JSON text
  // (invalid UTF-8 included). Valid until the next read on this thread.
  const json::value* read(std::string_view text) {
    doc_.reset();
    parser_.reset();  // drops what a failed parse left, before its memory goes
    // A new resource per text: release() would free the blocks but keep their
    // doubled size, so each text larger than the buffer would grow the next.
    memory_.reset();
    memory_.emplace(buffer_, sizeof buffer_);
    parser_.reset(json::storage_ptr(&*memory_));
    json::error_code ec;
    parser_.write(text.data(), text.size(), ec);
    if (ec) return nullptr;
    doc_.emplace(parser_.release());  // moved in: keeps memory_ as its storage
    return &*doc_;
  }

 private:
  static json::parse_options options() {
    json::parse_options o;
    o.max_depth = 64;  // tool arguments and schemas nest; 32 is Boost's default
    return o;
  }

  unsigned char buffer_[8192];
  std::optional<json::monotonic_resource> memory_;
  json::parser parser_;
  std::optional<json::value> doc_;
};

const json::value* parse_value(std::string_view text) {
  thread_local document_reader reader;
  return reader.read(text);
}

const json::object* parse_object(std::string_view text) {
  const json::value* root = parse_value(text);
  return root ? root->if_object() : nullptr;
}

const json::value* member(const json::object& o, std::string_view key) {
  return o.if_contains(json::string_view(key.data(), key.size()));
}

const json::object* object_member(const json::object& o, std::string_view key) {
  const json::value* v = member(o, key);
  return v ? v->if_object() : nullptr;
}

// A count: a non-negative integer that fits an int64. Anything else (a
// string, a fraction, null, a negative number) counts as absent.
std::optional<std::int64_t> count_member(const json::object* o, std::string_view key) {
  if (!o) return std::nullopt;
  const json::value* v = member(*o, key);
  if (!v) return std::nullopt;
  if (const auto* n = v->if_int64()) return *n >= 0 ? std::optional<std::int64_t>(*n) : std::nullopt;
  if (const auto* n = v->if_uint64()) {
    if (*n <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return static_cast<std::int64_t>(*n);
  }
  return std::nullopt;
}

// A non-empty string fit for a row (no control characters: a model or error
// name never has any); empty otherwise. Boost.JSON has checked the UTF-8.
std::string_view row_text(const json::value* v) {
  const json::string* s = v ? v->if_string() : nullptr;
  if (!s || s->empty()) return {};
  const std::string_view text(s->data(), s->size());
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20) return {};
  }
  return text;
}

// Replaces `field` with up to `cap` bytes of `text`, never cutting a UTF-8
// sequence in two.
void assign_capped(std::string& field, std::string_view text, std::size_t cap) {
  std::size_t n = std::min(text.size(), cap);
  if (n < text.size()) {
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  }
  field.assign(text.data(), n);
}

void take_model(const json::value* v, usage_result& out) {
  if (const auto text = row_text(v); !text.empty()) assign_capped(out.model, text, usage_result::max_model_chars);
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

void set_count(std::optional<std::int64_t>& field, std::optional<std::int64_t> n, usage_result& out) {
  if (n) {
    field = n;
    out.saw_usage = true;
  }
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

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_json_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_json_space(s.back())) s.remove_suffix(1);
  return s;
}

// Whether `text` holds `quoted_key` followed by optional white space, ':',
// optional white space and '{': an object member of that name, as far as a
// byte search can tell. Inside a JSON string every '"' is escaped, so the key
// with its closing quote cannot match there; a nested member of the same name
// can, which only costs a parse.
bool has_object_member(std::string_view text, std::string_view quoted_key) {
  const char* const end = text.data() + text.size();
  const char* from = text.data();
  while (static_cast<std::size_t>(end - from) >= quoted_key.size()) {
    const void* hit = ::memmem(from, static_cast<std::size_t>(end - from), quoted_key.data(), quoted_key.size());
    if (!hit) return false;
    const char* p = static_cast<const char*>(hit) + quoted_key.size();
    while (p != end && is_json_space(*p)) ++p;
    if (p != end && *p == ':') {
      ++p;
      while (p != end && is_json_space(*p)) ++p;
      if (p != end && *p == '{') return true;
    }
    from = static_cast<const char*>(hit) + 1;
  }
  return false;
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

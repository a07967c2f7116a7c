#include "usage/gemini_usage.hpp"

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

// Parses one captured text into a document (as openai_usage.cpp does). One per
// thread: the document's first 8 KiB come from a buffer inside it, so a
// typical chunk parses without touching the heap, and the parser keeps its
// stack between texts.
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
    o.max_depth = 64;  // functionCall args nest; 32 is Boost's default
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

const json::value* member(const json::object& o, std::string_view key) {
  return o.if_contains(json::string_view(key.data(), key.size()));
}

const json::object* object_member(const json::object& o, std::string_view key) {
  const json::value* v = member(o, key);
  return v ? v->if_object() : nullptr;
}

// A count: a non-negative integer that fits an int64. Anything else (a
// string, a fraction, null, a negative number) counts as absent.
std::optional<std::int64_t> count_member(const json::object& o, std::string_view key) {
  const json::value* v = member(o, key);
  if (!v) return std::nullopt;
  if (const auto* n = v->if_int64()) return *n >= 0 ? std::optional<std::int64_t>(*n) : std::nullopt;
  if (const auto* n = v->if_uint64()) {
    if (*n <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return static_cast<std::int64_t>(*n);
  }
  return std::nullopt;
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {  // both >= 0
  return a > std::numeric_limits<std::int64_t>::max() - b ? std::numeric_limits<std::int64_t>::max() : a + b;
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

// A Google API error: {"code":429,"message":"…","status":"RESOURCE_EXHAUSTED",
// "details":[…]}. Its status, else its numeric code; an error that names
// neither is still an error.
void apply_error(const json::object& e, usage_result& out) {
  if (const auto status = row_text(member(e, "status")); !status.empty()) {
    assign_capped(out.error_type, status, usage_result::max_error_type_chars);
    return;
  }
  if (const auto code = count_member(e, "code")) {
    char digits[24];
    out.error_type.assign(digits, std::to_chars(digits, digits + sizeof digits, *code).ptr);
    return;
  }
  out.error_type = "error";
}

void set_count(std::optional<std::int64_t>& field, std::optional<std::int64_t> n, usage_result& out) {
  if (n) {
    field = n;
    out.saw_usage = true;
  }
}

// usageMetadata: promptTokenCount includes the cached content; tool-use
// prompts and thoughts are counted apart from prompt and candidates.
void apply_usage(const json::object& u, usage_result& out) {
  const auto prompt = count_member(u, "promptTokenCount");
  const auto cached = count_member(u, "cachedContentTokenCount");
  const auto tool_prompt = count_member(u, "toolUsePromptTokenCount");
  const auto candidates = count_member(u, "candidatesTokenCount");
  const auto thoughts = count_member(u, "thoughtsTokenCount");

  set_count(out.cache_read_input_tokens, cached, out);
  if (prompt) {
    // Without a cached count here, the one already in the row (if any) is
    // taken, so that input + cache read stays the prompt.
    const std::int64_t read = cached ? *cached : out.cache_read_input_tokens.value_or(0);
    set_count(out.input_tokens, saturating_add(std::max<std::int64_t>(0, *prompt - read), tool_prompt.value_or(0)),
              out);
  }
  if (candidates || thoughts) {
    set_count(out.output_tokens, saturating_add(candidates.value_or(0), thoughts.value_or(0)), out);
  }
}

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

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

// One GenerateContentResponse (or an error body) read into the row.
void apply_response(const json::object& response, usage_result& out) {
  take_model(member(response, "modelVersion"), out);
  if (const auto* u = object_member(response, "usageMetadata")) apply_usage(*u, out);
  if (const auto* e = object_member(response, "error")) apply_error(*e, out);
}

bool wants_event(std::string_view name) { return name.empty(); }

bool apply_stream_event(std::string_view name, std::string_view data, usage_result& out) {
  if (!name.empty()) return true;
  // Once the model is known, a chunk with neither usage nor an error is
  // passed over without a parse.
  if (!out.model.empty() && !has_object_member(data, "\"usageMetadata\"") && !has_object_member(data, "\"error\"")) {
    return true;
  }
  const json::value* root = parse_value(data);
  const json::object* response = root ? root->if_object() : nullptr;
  if (!response) return false;
  apply_response(*response, out);
  return true;
}

// Every chunk carries usageMetadata, after its candidates: a chunk cut at the
// cap (inline image data, say) has lost it, whatever its first bytes.
bool may_carry_usage(std::string_view name, std::string_view /*data_prefix*/) { return name.empty(); }

bool wants_member(std::string_view key) {
  return key == "modelVersion" || key == "usageMetadata" || key == "error";
}

bool apply_answer_member(std::string_view key, std::string_view raw_value, usage_result& out) {
  const json::value* value = parse_value(raw_value);
  if (!value) return false;
  if (key == "modelVersion") {
    take_model(value, out);
  } else if (key == "usageMetadata") {
    if (const auto* u = value->if_object()) apply_usage(*u, out);
  } else if (key == "error") {
    if (const auto* e = value->if_object()) apply_error(*e, out);
  }
  return true;
}

}  // namespace

const usage_dialect& gemini_dialect() {
  static constexpr usage_dialect dialect{
      "gemini", &wants_event, &apply_stream_event, &may_carry_usage, &wants_member, &apply_answer_member,
  };
  return dialect;
}

}  // namespace passgate::usage

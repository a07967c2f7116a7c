#include "usage/json_document.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/string.hpp>

namespace passgate::usage::json_document {
namespace {

// Parses one captured text into a document. One per thread: the document's first 8 KiB come from a buffer inside it, so a
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

}  // namespace

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

void set_count(std::optional<std::int64_t>& field, std::optional<std::int64_t> n, usage_result& out) {
  if (n) {
    field = n;
    out.saw_usage = true;
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

}  // namespace passgate::usage::json_document

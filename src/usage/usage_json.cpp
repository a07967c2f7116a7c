#include "usage/usage_json.hpp"

#include "common/percent.hpp"

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <utility>

#include "usage/byte_search.hpp"

namespace passgate::usage {
namespace {

// The keys on the paths read here; any other is `other`.
enum class key : std::uint8_t {
  other,
  type,
  model,
  usage,
  error,
  message,
  input_tokens,
  output_tokens,
  cache_creation_input_tokens,
  cache_read_input_tokens,
  cache_creation,
  ephemeral_5m_input_tokens,
  ephemeral_1h_input_tokens,
};

key key_of(std::string_view k) {
  switch (k.size()) {
    case 4: return k == "type" ? key::type : key::other;
    case 5: return k == "model" ? key::model : k == "usage" ? key::usage : k == "error" ? key::error : key::other;
    case 7: return k == "message" ? key::message : key::other;
    case 12: return k == "input_tokens" ? key::input_tokens : key::other;
    case 13: return k == "output_tokens" ? key::output_tokens : key::other;
    case 14: return k == "cache_creation" ? key::cache_creation : key::other;
    case 23: return k == "cache_read_input_tokens" ? key::cache_read_input_tokens : key::other;
    case 25:
      return k == "ephemeral_5m_input_tokens"   ? key::ephemeral_5m_input_tokens
             : k == "ephemeral_1h_input_tokens" ? key::ephemeral_1h_input_tokens
                                                : key::other;
    case 27: return k == "cache_creation_input_tokens" ? key::cache_creation_input_tokens : key::other;
    default: return key::other;
  }
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }



// Well-formed UTF-8 without control characters (JSON forbids them raw in strings).
bool is_text(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  const auto continuation = [&](int n) {
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    return true;
  };
  while (p != end) {
    const unsigned c = *p;
    int more = 0;
    if (c < 0x20) return false;
    if (c < 0x80) {
      more = 0;
    } else if (c >= 0xC2 && c <= 0xDF) {
      more = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      more = 2;
      if (!continuation(2) || (c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)) return false;
    } else if (c >= 0xF0 && c <= 0xF4) {
      more = 3;
      if (!continuation(3) || (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)) return false;
    } else {
      return false;  // a stray continuation byte, an overlong lead or beyond U+10FFFF
    }
    if (more == 1 && !continuation(1)) return false;
    p += 1 + more;
  }
  return true;
}

// Writes cp (at most U+10FFFF) as UTF-8; returns the byte count.
std::size_t encode_utf8(char* out, std::uint32_t cp) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// A recursive-descent reader of one JSON text (RFC 8259 grammar, nesting up
// to max_depth) that records only the values usage_json holds. It checks the
// grammar everywhere but decodes only the strings it keeps: the rest are
// passed over a block of bytes at a time. Kept strings (they end up in spend
// rows, logs and reports) must be well-formed UTF-8 without raw control bytes;
// strings passed over are not checked byte by byte.
class reader {
 public:
  reader(std::string_view text, usage_json& out, std::string& key_buffer)
      : p_(text.data()), end_(p_ + text.size()), out_(out), key_(key_buffer) {}

  bool read() {
    space();
    if (!value(0)) return false;
    space();
    return p_ == end_;
  }

 private:
  static constexpr std::size_t max_depth = 32;
  static constexpr std::size_t tracked_depth = 4;  // message.usage.cache_creation.ephemeral_5m…

  void space() {
    while (p_ != end_ && is_space(*p_)) ++p_;
  }

  // The value at depth `depth` (that many containers around it), whose path
  // from the root is at_[1..depth].
  bool value(std::size_t depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return string_value(depth);
      case 't': return literal("true", depth);
      case 'f': return literal("false", depth);
      case 'n': return literal("null", depth);
      default: return number(depth);
    }
  }

  bool object(std::size_t depth) {
    if (depth == max_depth) return false;
    if (depth == 0) out_.kind = usage_json::root::object;
    return items('}', [&] {
      if (p_ == end_ || *p_ != '"') return false;
      std::string_view name;
      if (!key_name(name)) return false;
      if (depth + 1 < at_.size()) {
        at_[depth + 1] = name.size() > max_known_key ? key::other : key_of(name);
        if (at_[depth + 1] != key::other) forget(depth + 1);
      }
      space();
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      space();
      return value(depth + 1);
    });
  }

  bool array(std::size_t depth) {
    if (depth == max_depth) return false;
    if (depth == 0) out_.kind = usage_json::root::other;
    if (depth + 1 < at_.size()) at_[depth + 1] = key::other;  // items sit under no key
    return items(']', [&] { return value(depth + 1); });
  }

  // At an opening bracket: the items up to `close`, comma-separated, each
  // read by `item` (which starts at its first byte).
  template <class ReadItem>
  bool items(char close, ReadItem item) {
    ++p_;
    space();
    if (p_ != end_ && *p_ == close) {
      ++p_;
      return true;
    }
    for (;;) {
      if (!item()) return false;
      space();
      if (p_ == end_) return false;
      if (*p_ == close) {
        ++p_;
        return true;
      }
      if (*p_ != ',') return false;
      ++p_;
      space();
    }
  }

  bool literal(std::string_view word, std::size_t depth) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    if (depth == 0) out_.kind = usage_json::root::other;
    return true;
  }

  bool number(std::size_t depth) {
    const char* start = p_;
    if (*p_ == '-') ++p_;
    if (p_ == end_ || !is_digit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    bool integer = true;
    if (p_ != end_ && *p_ == '.') {
      integer = false;
      ++p_;
      if (p_ == end_ || !is_digit(*p_)) return false;
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !is_digit(*p_)) return false;
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    // A count: a non-negative integer that fits an int64 ("-0" is 0).
    std::optional<std::int64_t> n;
    if (integer && *start == '-' && p_ - start == 2 && start[1] == '0') {
      n = 0;
    } else if (integer && *start != '-' && p_ - start <= 19) {
      std::int64_t v = 0;
      bool fits = true;
      for (const char* d = start; d != p_; ++d) {
        if (v > (std::numeric_limits<std::int64_t>::max() - (*d - '0')) / 10) {
          fits = false;
          break;
        }
        v = v * 10 + (*d - '0');
      }
      if (fits) n = v;
    }
    count(depth, n);
    return true;
  }

  bool string_value(std::size_t depth) {
    std::string* target = nullptr;
    std::size_t cap = 0;
    if (depth == 0) {
      out_.kind = usage_json::root::string;
      out_.has_root_string = true;
      target = &out_.root_string;
      cap = usage_json::max_model_chars;
    } else if (path_is(depth, {key::type})) {
      target = &out_.type;
      cap = usage_json::max_short_chars;
    } else if (path_is(depth, {key::message, key::model})) {
      out_.has_message_model = true;
      target = &out_.message_model;
      cap = usage_json::max_model_chars;
    } else if (path_is(depth, {key::error, key::type})) {
      out_.has_error_type = true;
      target = &out_.error_type;
      cap = usage_json::max_short_chars;
    }
    if (target) target->clear();  // a repeated key: the last one counts
    return string(target, cap, true);
  }

  // A key, at its opening quote: a view of the text when it has no escapes
  // (keys practically never do), else its decoded (and capped) copy.
  bool key_name(std::string_view& name) {
    const char* start = p_ + 1;
    const char* q = find_first_of<'"', '\\'>(start, end_);
    if (q != end_ && *q == '"') {
      name = std::string_view(start, static_cast<std::size_t>(q - start));
      p_ = q + 1;
      return true;
    }
    key_.clear();
    if (!string(&key_, max_known_key + 1, false)) return false;
    name = key_;
    return true;
  }

  // At the opening quote. The decoded text goes to `out` (when given) up to
  // `cap` bytes; a longer one is cut there. A kept value (`text`: it ends up in
  // rows, logs and reports) must be well-formed UTF-8 with no control
  // characters, raw or escaped: a model name never has any.
  bool string(std::string* out, std::size_t cap, bool text) {
    const bool check = out && text;
    ++p_;
    for (;;) {
      const char* q = find_first_of<'"', '\\'>(p_, end_);
      if (q == end_) return false;
      if (out) {
        const std::string_view run(p_, static_cast<std::size_t>(q - p_));
        if (check && !is_text(run)) return false;
        keep(*out, cap, run);
      }
      p_ = q + 1;
      if (*q == '"') return true;
      if (p_ == end_) return false;
      const char e = *p_++;
      switch (e) {
        case '"': case '\\': case '/':
          if (out) keep(*out, cap, std::string_view(&e, 1));
          break;
        case 'b': case 'f': case 'n': case 'r': case 't': {
          if (check) return false;
          const char c = e == 'b' ? '\b' : e == 'f' ? '\f' : e == 'n' ? '\n' : e == 'r' ? '\r' : '\t';
          if (out) keep(*out, cap, std::string_view(&c, 1));
          break;
        }
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return false;
          // A high surrogate followed by an escaped low one is one code point;
          // any other surrogate is kept as U+FFFD, as decoders commonly do.
          std::uint32_t next = 0;
          bool has_next = false;
          if (cp >= 0xD800 && cp <= 0xDBFF && end_ - p_ >= 6 && p_[0] == '\\' && p_[1] == 'u') {
            p_ += 2;
            if (!hex4(next)) return false;
            if (next >= 0xDC00 && next <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (next - 0xDC00);
            } else {
              has_next = true;
            }
          }
          if (check && (cp < 0x20 || (has_next && next < 0x20))) return false;
          if (out) {
            keep_code_point(*out, cap, cp);
            if (has_next) keep_code_point(*out, cap, next);
          }
          break;
        }
        default:
          return false;
      }
    }
  }

  bool hex4(std::uint32_t& cp) {
    if (end_ - p_ < 4) return false;
    for (int i = 0; i < 4; ++i) {
      const int h = pct::hex_digit(*p_++);
      if (h < 0) return false;
      cp = cp << 4 | static_cast<std::uint32_t>(h);
    }
    return true;
  }

  static void keep_code_point(std::string& out, std::size_t cap, std::uint32_t cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    char utf8[4];
    keep(out, cap, {utf8, encode_utf8(utf8, cp)});
  }

  // Appends up to the cap, never cutting a UTF-8 sequence in two.
  static void keep(std::string& out, std::size_t cap, std::string_view bytes) {
    if (out.size() >= cap) return;
    std::size_t n = std::min(bytes.size(), cap - out.size());
    if (n < bytes.size()) {
      while (n > 0 && (static_cast<unsigned char>(bytes[n]) & 0xC0) == 0x80) --n;
    }
    out.append(bytes.substr(0, n));
  }

  bool path_is(std::size_t depth, std::initializer_list<key> keys) const {
    if (depth != keys.size()) return false;
    std::size_t d = 1;
    for (key k : keys) {
      if (at_[d++] != k) return false;
    }
    return true;
  }

  // A number at depth `depth`; `n` is set when it is a count.
  void count(std::size_t depth, std::optional<std::int64_t> n) {
    if (depth == 0) {
      out_.kind = usage_json::root::count;
      out_.root_count = n;
      return;
    }
    if (const auto [counts, field] = count_at(depth); counts && n) counts->*field = n;
  }

  using count_field = std::optional<std::int64_t> usage_counts::*;

  // The usage object whose members sit at depth prefix + 1, given the keys
  // at_[1..prefix]: the top, "usage" or "message"."usage"; nullptr: none.
  usage_counts* counts_under(std::size_t prefix) const {
    if (prefix == 0) return &out_.counts;
    if (prefix == 1 && at_[1] == key::usage) return &out_.usage;
    if (prefix == 2 && at_[1] == key::message && at_[2] == key::usage) return &out_.message_usage;
    return nullptr;
  }

  // The count a number at the current path would be, if any.
  std::pair<usage_counts*, count_field> count_at(std::size_t depth) const {
    if (depth == 0 || depth > tracked_depth) return {};
    count_field field = nullptr;
    switch (at_[depth]) {
      case key::input_tokens: field = &usage_counts::input_tokens; break;
      case key::output_tokens: field = &usage_counts::output_tokens; break;
      case key::cache_creation_input_tokens: field = &usage_counts::cache_creation_input_tokens; break;
      case key::cache_read_input_tokens: field = &usage_counts::cache_read_input_tokens; break;
      case key::ephemeral_5m_input_tokens: field = &usage_counts::cache_creation_5m_input_tokens; break;
      case key::ephemeral_1h_input_tokens: field = &usage_counts::cache_creation_1h_input_tokens; break;
      default: return {};
    }
    if (at_[depth] == key::ephemeral_5m_input_tokens || at_[depth] == key::ephemeral_1h_input_tokens) {
      if (depth < 2 || at_[depth - 1] != key::cache_creation) return {};
      return {counts_under(depth - 2), field};
    }
    return {counts_under(depth - 1), field};
  }

  // A key at depth `depth` was just read: whatever an earlier member of the
  // same name left at or below this path goes, so that the last one counts
  // whatever its type (as a document parser would keep only the last).
  void forget(std::size_t depth) {
    if (depth > tracked_depth) return;
    if (path_is(depth, {key::type})) out_.type.clear();
    if (path_is(depth, {key::message}) || path_is(depth, {key::message, key::model})) {
      out_.message_model.clear();
      out_.has_message_model = false;
    }
    if (path_is(depth, {key::error}) || path_is(depth, {key::error, key::type})) {
      out_.error_type.clear();
      out_.has_error_type = false;
    }
    if (path_is(depth, {key::message})) out_.message_usage = {};
    if (at_[depth] == key::usage) {
      if (auto* counts = counts_under(depth)) *counts = {};
    }
    if (at_[depth] == key::cache_creation) {
      if (auto* counts = counts_under(depth - 1)) {
        counts->cache_creation_5m_input_tokens.reset();
        counts->cache_creation_1h_input_tokens.reset();
      }
    }
    if (const auto [counts, field] = count_at(depth); counts) (counts->*field).reset();
  }

  static constexpr std::size_t max_known_key = 27;  // the longest key of `key`

  const char* p_;
  const char* const end_;
  usage_json& out_;
  std::array<key, tracked_depth + 1> at_{};
  std::string& key_;  // the key being read (its capacity is kept between texts)
};

}  // namespace

bool usage_json::read(std::string_view text) {
  kind = root::none;
  type.clear();
  message_model.clear();
  error_type.clear();
  root_string.clear();
  root_count.reset();
  counts = usage = message_usage = usage_counts{};
  has_message_model = has_error_type = has_root_string = false;
  return reader(text, *this, key_buffer_).read();
}

}  // namespace passgate::usage

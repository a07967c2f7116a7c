#include "usage/json_scanner.hpp"

#include <cstring>

namespace passgate::usage {
namespace {

constexpr std::size_t kept_capacity = 4096;

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Characters of a number or of true, false, null.
bool is_scalar_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' ||
         c == '.' || c == 'E';
}

const char* find_byte(const char* p, const char* end, char c) {
  const void* hit = std::memchr(p, c, static_cast<std::size_t>(end - p));
  return hit ? static_cast<const char*>(hit) : end;
}

}  // namespace

void json_scanner::feed(std::string_view bytes) {
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  // The next '"' found by memchr, kept so that a long string full of escapes
  // is not searched to its end once per backslash.
  const char* next_quote = nullptr;
  while (p != end && phase_ != phase::bad) {
    if (in_string_) {
      p = scan_string(p, end, next_quote);
    } else if (const char* q = plain_run(p, end); q != p) {
      keep({p, static_cast<std::size_t>(q - p)});  // what step() would keep byte by byte
      p = q;
    } else {
      step(*p++);
    }
  }
}

// Inside a nested value or a scalar, bytes other than quotes and brackets only
// need keeping: they are taken as one run rather than stepped one by one.
const char* json_scanner::plain_run(const char* p, const char* end) const {
  if (phase_ == phase::nested) {
    while (p != end && *p != '"' && *p != '{' && *p != '}' && *p != '[' && *p != ']') ++p;
  } else if (phase_ == phase::scalar) {
    while (p != end && is_scalar_char(*p)) ++p;
  }
  return p;
}

void json_scanner::finish() {
  if (phase_ != phase::before && phase_ != phase::after) phase_ = phase::bad;
}

const char* json_scanner::scan_string(const char* p, const char* end, const char*& next_quote) {
  if (escape_) {
    escape_ = false;
    keep({p, 1});
    return p + 1;
  }
  if (next_quote == nullptr || next_quote < p) next_quote = find_byte(p, end, '"');
  const char* backslash = find_byte(p, next_quote, '\\');
  if (backslash != next_quote) {
    keep({p, static_cast<std::size_t>(backslash + 1 - p)});
    escape_ = true;
    return backslash + 1;
  }
  keep({p, static_cast<std::size_t>(next_quote - p)});
  if (next_quote == end) return end;
  in_string_ = false;
  string_ended();
  return next_quote + 1;
}

void json_scanner::string_ended() {
  if (phase_ == phase::key) {
    phase_ = phase::colon;
    return;
  }
  keep("\"");
  if (phase_ == phase::string_value) {
    end_member();
    phase_ = phase::comma_or_end;
  }
}

void json_scanner::step(char c) {
  switch (phase_) {
    case phase::before:
      if (c == '{') {
        phase_ = phase::key_or_end;
      } else if (!is_space(c)) {
        phase_ = phase::bad;
      }
      return;
    case phase::key_or_end:
      if (c == '"') {
        key_.clear();
        key_too_long_ = false;
        in_string_ = true;
        phase_ = phase::key;
      } else if (c == '}') {
        phase_ = phase::after;
      } else if (!is_space(c)) {
        phase_ = phase::bad;
      }
      return;
    case phase::colon:
      if (c == ':') {
        phase_ = phase::value;
      } else if (!is_space(c)) {
        phase_ = phase::bad;
      }
      return;
    case phase::value:
      if (is_space(c)) return;
      capturing_ = !key_too_long_ && listener_.wants_member(key_);
      if (c == '"') {
        in_string_ = true;
        phase_ = phase::string_value;
      } else if (c == '{' || c == '[') {
        depth_ = 1;
        phase_ = phase::nested;
      } else if (is_scalar_char(c)) {
        phase_ = phase::scalar;
      } else {
        phase_ = phase::bad;
        return;
      }
      keep({&c, 1});
      return;
    case phase::scalar:
      if (is_scalar_char(c)) {
        keep({&c, 1});
        return;
      }
      end_member();
      phase_ = phase::comma_or_end;
      step(c);  // the byte that ended the scalar belongs to the object
      return;
    case phase::nested:
      keep({&c, 1});
      if (c == '"') {
        in_string_ = true;
      } else if (c == '{' || c == '[') {
        ++depth_;
      } else if ((c == '}' || c == ']') && --depth_ == 0) {
        end_member();
        phase_ = phase::comma_or_end;
      }
      return;
    case phase::comma_or_end:
      if (c == ',') {
        phase_ = phase::key_or_end;
      } else if (c == '}') {
        phase_ = phase::after;
      } else if (!is_space(c)) {
        phase_ = phase::bad;
      }
      return;
    case phase::after:
      if (!is_space(c)) phase_ = phase::bad;
      return;
    case phase::key:
    case phase::string_value:
    case phase::bad:
      return;  // strings are read by scan_string; bad reads nothing
  }
}

void json_scanner::keep(std::string_view bytes) {
  if (phase_ == phase::key) {
    if (key_too_long_) return;
    if (key_.size() + bytes.size() > max_key_bytes) {
      key_too_long_ = true;
      key_.clear();
    } else {
      key_.append(bytes);
    }
    return;
  }
  if (!capturing_ || truncated_) return;
  if (value_.capacity() < 256) value_.reserve(256);  // a usage object: one allocation, not five
  const auto room = max_value_bytes - value_.size();
  if (bytes.size() > room) {
    value_.append(bytes.substr(0, room));
    truncated_ = true;
  } else {
    value_.append(bytes);
  }
}

void json_scanner::end_member() {
  if (capturing_) listener_.on_member(key_, value_, truncated_);
  capturing_ = truncated_ = false;
  if (value_.capacity() > kept_capacity) {
    std::string().swap(value_);
  } else {
    value_.clear();
  }
}

}  // namespace passgate::usage

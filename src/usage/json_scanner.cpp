#include "usage/json_scanner.hpp"

#include "usage/byte_search.hpp"

namespace passgate::usage {
namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Characters of a number or of true, false, null.
bool is_scalar_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' ||
         c == '.' || c == 'E';
}

}  // namespace

// Kept text (a key, a wanted value) is not copied byte by byte as it is read:
// `mark` is where it began in this piece, and the span up to where it ends (or
// to the end of the piece) is appended once.
void json_scanner::feed(std::string_view bytes) {
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  const char* mark = p;
  while (p != end) {
    if (in_string_) {
      if (escape_) {  // the escaped byte: it cannot end the string
        escape_ = false;
        ++p;
        continue;
      }
      const char* q = find_first_of<'"', '\\'>(p, end);
      if (q == end) break;
      p = q + 1;
      if (*q == '\\') {
        escape_ = true;
        continue;
      }
      in_string_ = false;
      if (phase_ == phase::key) {
        keep_key({mark, static_cast<std::size_t>(q - mark)});
        phase_ = phase::colon;
      } else if (phase_ == phase::string_value) {
        end_member(mark, p);
      }
      continue;  // a string inside a nested value: back to its brackets
    }
    switch (phase_) {
      case phase::nested: {
        const char* q = find_first_of<'"', '{', '}', '[', ']'>(p, end);
        if (q == end) {
          p = end;
          break;
        }
        p = q + 1;
        if (*q == '"') {
          in_string_ = true;
        } else if (*q == '{' || *q == '[') {
          ++depth_;
        } else if (--depth_ == 0) {
          end_member(mark, p);
        }
        break;
      }
      case phase::scalar:
        while (p != end && is_scalar_char(*p)) ++p;
        if (p != end) end_member(mark, p);  // the byte that ended it belongs to the object
        break;
      case phase::value: {
        const char c = *p;
        if (is_space(c)) {
          ++p;
          break;
        }
        capturing_ = !key_too_long_ && listener_.wants_member(key_);
        mark = p++;
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
        break;
      }
      case phase::bad:
        return;
      default:
        step(*p++);
        if (phase_ == phase::key) {  // its opening quote was just read
          mark = p;
          key_.clear();
          key_too_long_ = false;
        }
        break;
    }
  }
  // The piece ended inside kept text: keep what of it this piece held.
  if (phase_ == phase::key) {
    keep_key({mark, static_cast<std::size_t>(end - mark)});
  } else if (capturing_) {
    value_.append({mark, static_cast<std::size_t>(end - mark)});
  }
}

// The bytes between members: braces, colons, commas and white space.
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
    default:
      return;  // values and keys are read by feed()
  }
}

void json_scanner::reset() {
  phase_ = phase::before;
  in_string_ = escape_ = false;
  depth_ = 0;
  key_.clear();
  key_too_long_ = false;
  forget_value();
}

void json_scanner::finish() {
  if (phase_ != phase::before && phase_ != phase::after) phase_ = phase::bad;
}

void json_scanner::keep_key(std::string_view bytes) {
  if (key_too_long_) return;
  if (key_.size() + bytes.size() > max_key_bytes) {
    key_too_long_ = true;
    key_.clear();
  } else {
    key_.append(bytes);
  }
}

// The value that began at `mark` in this piece (or earlier) ends before `last`.
void json_scanner::end_member(const char* mark, const char* last) {
  if (capturing_) {
    value_.append({mark, static_cast<std::size_t>(last - mark)});
    listener_.on_member(key_, value_.view(), value_.truncated());
  }
  forget_value();
  phase_ = phase::comma_or_end;
}

void json_scanner::forget_value() {
  capturing_ = false;
  value_.clear();
}

}  // namespace passgate::usage

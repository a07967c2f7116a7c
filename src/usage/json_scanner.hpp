#pragma once
// Incremental scanner of a body holding one JSON object, fed pieces split at any
// byte. It keeps only the raw text of the top-level members its listener asks
// for (each up to max_value_bytes); everything else, however large, is passed
// over (strings and nested values a block of bytes at a time) and forgotten. The top-level shape is checked; nested values
// are only tracked (strings, escapes, depth), not validated.
#include <cstddef>
#include <string>
#include <string_view>

#include "usage/capped_text.hpp"

namespace passgate::usage {

class json_member_listener {
 public:
  // `key` as written between the quotes (escapes are not decoded).
  virtual bool wants_member(std::string_view key) const = 0;
  // The raw JSON text of a wanted member's value. `truncated`: it passed
  // max_value_bytes and only the beginning is given.
  virtual void on_member(std::string_view key, std::string_view raw_value, bool truncated) = 0;

 protected:
  ~json_member_listener() = default;
};

class json_scanner {
 public:
  static constexpr std::size_t max_value_bytes = 64 * 1024;
  static constexpr std::size_t max_key_bytes = 64;  // longer keys are not wanted

  explicit json_scanner(json_member_listener& listener) : listener_(listener) {}

  void feed(std::string_view bytes);
  // End of the body: an object still open means it was cut short.
  void finish();
  // Ready for a new body; buffers keep a bounded capacity for it.
  void reset();

  // Not one JSON object, or one cut short (after finish).
  bool malformed() const noexcept { return phase_ == phase::bad; }
  // Bytes of the body held now: a wanted value being read and its key.
  std::size_t buffered_bytes() const noexcept { return value_.size() + key_.size(); }

 private:
  enum class phase {
    before,        // '{' expected
    key_or_end,    // '"' or '}'
    key,           // inside a top-level key
    colon,
    value,         // a member's value expected
    string_value,  // inside a top-level string value
    scalar,        // inside a top-level number, true, false or null
    nested,        // inside a top-level object or array value
    comma_or_end,  // ',' or '}'
    after,         // only whitespace may follow the object
    bad,
  };

  void step(char c);
  void keep_key(std::string_view bytes);
  void end_member(const char* mark, const char* last);
  void forget_value();

  json_member_listener& listener_;
  phase phase_ = phase::before;
  bool in_string_ = false;
  bool escape_ = false;     // the byte after a backslash comes next
  std::size_t depth_ = 0;   // nesting inside a top-level value
  std::string key_;
  bool key_too_long_ = false;
  bool capturing_ = false;  // the current value is wanted
  capped_text<max_value_bytes, 256> value_;  // 256: a usage object in one allocation
};

}  // namespace passgate::usage

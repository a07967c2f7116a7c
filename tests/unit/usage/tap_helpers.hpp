#pragma once
// What the usage tap tests share: a usage_result in words (for failure
// messages) and feeding a piece from an allocation of exactly its size.
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "usage/usage_tap.hpp"

namespace passgate::usage::test_helpers {

inline std::string describe(const usage_result& r) {
  std::ostringstream out;
  const auto n = [&](const char* name, const std::optional<std::int64_t>& v) {
    out << ' ' << name << '=' << (v ? std::to_string(*v) : "-");
  };
  out << "model=" << r.model;
  n("in", r.input_tokens);
  n("out", r.output_tokens);
  n("cache_write", r.cache_creation_input_tokens);
  n("cache_read", r.cache_read_input_tokens);
  n("5m", r.cache_creation_5m_input_tokens);
  n("1h", r.cache_creation_1h_input_tokens);
  out << " error=" << r.error_type << " saw_usage=" << r.saw_usage << " unparseable=" << r.unparseable;
  return out.str();
}

// Each piece is fed from its own buffer of exactly its size, so that a read
// past a piece's end is a read past an allocation (caught by the sanitizer run).
inline void feed_copy(usage_tap& tap, std::string_view piece) {
  const std::unique_ptr<char[]> copy(new char[piece.size() ? piece.size() : 1]);
  std::memcpy(copy.get(), piece.data(), piece.size());
  tap.feed({copy.get(), piece.size()});
}

}  // namespace passgate::usage::test_helpers

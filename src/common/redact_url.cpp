#include "common/redact_url.hpp"

#include <algorithm>

namespace passgate {
namespace {

// Replaces the value after every "password=" (keyword strings and URI query
// parameters), up to the next space or '&'.
void redact_password_params(std::string& s) {
  constexpr std::string_view key = "password";
  for (std::size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + 1)) {
    // libpq allows spaces around '=' in keyword strings.
    std::size_t eq = at + key.size();
    while (eq < s.size() && s[eq] == ' ') ++eq;
    if (eq >= s.size() || s[eq] != '=') continue;
    std::size_t from = eq + 1;
    while (from < s.size() && s[from] == ' ') ++from;
    std::size_t to = from;
    if (to < s.size() && s[to] == '\'') {  // a quoted value: \' and \\ are escapes inside it
      for (++to; to < s.size() && s[to] != '\''; ++to)
        if (s[to] == '\\') ++to;
      to = std::min(to + 1, s.size());
    } else {
      while (to < s.size() && s[to] != ' ' && s[to] != '&') ++to;
    }
    s.replace(from, to - from, "***");
    at = from;
  }
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string s(url);
  if (auto scheme = s.find("://"); scheme != std::string::npos) {
    // The credentials end at the last '@' before the query or fragment: a
    // password may hold an unencoded '/' (parsers that accept it split there
    // too), so the first '/' does not end them.
    const std::size_t auth = scheme + 3;
    const std::size_t end = s.find_first_of("?#", auth);
    const std::size_t at = s.rfind('@', end == std::string::npos ? std::string::npos : end);
    if (at != std::string::npos && at >= auth) {
      const std::size_t colon = s.find(':', auth);
      if (colon != std::string::npos && colon < at) s.replace(colon + 1, at - colon - 1, "***");
    }
  }
  redact_password_params(s);
  return s;
}

}  // namespace passgate

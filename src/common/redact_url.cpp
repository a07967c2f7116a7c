#include "common/redact_url.hpp"

namespace passgate {
namespace {

// Replaces the value after every "password=" (keyword strings and URI query
// parameters), up to the next space or '&'.
void redact_password_params(std::string& s) {
  constexpr std::string_view key = "password=";
  for (std::size_t at = s.find(key); at != std::string::npos; at = s.find(key, at)) {
    const std::size_t from = at + key.size();
    std::size_t to = from;
    if (to < s.size() && (s[to] == '\'' || s[to] == '"')) {  // a quoted keyword value
      const char quote = s[to];
      to = s.find(quote, to + 1);
      to = to == std::string::npos ? s.size() : to + 1;
    } else {
      while (to < s.size() && s[to] != ' ' && s[to] != '&') ++to;
    }
    s.replace(from, to - from, "***");
    at = from + 3;
  }
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string s(url);
  if (auto scheme = s.find("://"); scheme != std::string::npos) {
    const std::size_t auth = scheme + 3;
    const std::size_t end = s.find_first_of("/?#", auth);
    const std::size_t at = s.rfind('@', end == std::string::npos ? s.size() : end);
    if (at != std::string::npos && at >= auth) {
      const std::size_t colon = s.find(':', auth);
      if (colon != std::string::npos && colon < at) s.replace(colon + 1, at - colon - 1, "***");
    }
  }
  redact_password_params(s);
  return s;
}

}  // namespace passgate

#include "admin/paging.hpp"

#include <charconv>
#include <limits>
#include <string>

namespace passgate::admin {

std::optional<std::int64_t> parse_count(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty() || s.front() == '-' || s.front() == '+') return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

result<paging> parse_paging(std::optional<std::string_view> page, std::optional<std::string_view> size) {
  paging p;
  // Bounded so that the row offset (page - 1) * size cannot overflow.
  constexpr std::int64_t max_page = std::numeric_limits<std::int64_t>::max() / (max_page_size + 1);
  if (page) {
    auto n = parse_count(*page);
    if (!n || *n < 1 || *n > max_page) return bad_request("'page' must be a whole number from 1");
    p.page = *n;
  }
  if (size) {
    auto n = parse_count(*size);
    if (!n || *n < 1 || *n > max_page_size)
      return bad_request("'size' must be a whole number from 1 to " + std::to_string(max_page_size));
    p.size = *n;
  }
  return p;
}

}  // namespace passgate::admin

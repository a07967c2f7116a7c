#pragma once
// Pages of listings (/key/list, /spend/logs and the CLI): `page` counts from 1,
// `size` is 1..max_page_size (default default_page_size).
#include <cstdint>
#include <optional>
#include <string_view>

#include "admin/problem.hpp"
#include "store/store.hpp"

namespace passgate::admin {

inline constexpr std::int64_t default_page_size = 100;
inline constexpr std::int64_t max_page_size = 1000;

struct paging {
  std::int64_t page = 1;
  std::int64_t size = default_page_size;

  // One row more than the page, so that the caller can tell whether more follow.
  store::page probe() const { return {(page - 1) * size, size + 1}; }

  // Rows read with probe(): cuts the extra one off; true when it was there.
  template <class Rows>
  bool trim(Rows& rows) const {
    if (std::int64_t(rows.size()) <= size) return false;
    rows.resize(std::size_t(size));
    return true;
  }
};

// Either argument may be absent (default). Anything but a whole number in range is
// a 400 problem naming the parameter.
result<paging> parse_paging(std::optional<std::string_view> page, std::optional<std::string_view> size);

// A non-negative decimal integer (no sign, no spaces); nullopt otherwise.
std::optional<std::int64_t> parse_count(std::string_view s);

}  // namespace passgate::admin

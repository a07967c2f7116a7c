#include "limits/budget_period.hpp"

#include <charconv>
#include <chrono>

namespace passgate::limits {
namespace {

constexpr std::int64_t day_ms = 86'400'000;

// Floor division: times before 1970 still fall in the right window.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::optional<std::int64_t> whole(std::string_view digits) {
  std::uint64_t n = 0;  // unsigned: from_chars then refuses a sign
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n == 0 || n > 100'000'000) return std::nullopt;
  return static_cast<std::int64_t>(n);
}

// A length given in hours, minutes or seconds: within the day below a day; a
// whole number of days is that many days (24h is 1d); anything else longer than
// a day has no calendar boundary to fall on and is refused.
std::optional<budget_period> sub_day(std::int64_t seconds) {
  using k = budget_period::kind;
  if (seconds < 86'400) return budget_period{k::within_day, seconds};
  if (seconds % 86'400 != 0) return std::nullopt;
  if (seconds == 86'400) return budget_period{k::day, 0};
  if (seconds == 7 * 86'400) return budget_period{k::week, 0};
  return budget_period{k::days, seconds};
}

}  // namespace

std::optional<budget_period> parse_budget_period(std::string_view t) {
  using k = budget_period::kind;
  if (t.empty()) return budget_period{};
  if (t.ends_with("mo")) {
    auto n = whole(t.substr(0, t.size() - 2));
    if (!n || *n != 1) return std::nullopt;  // only calendar months: 1mo
    return budget_period{k::month, 0};
  }
  if (t.size() < 2) return std::nullopt;
  auto n = whole(t.substr(0, t.size() - 1));
  if (!n) return std::nullopt;
  switch (t.back()) {
    case 'w':
      if (*n != 1) return std::nullopt;
      return budget_period{k::week, 0};
    case 'd':
      if (*n == 1) return budget_period{k::day, 0};
      if (*n == 7) return budget_period{k::week, 0};
      if (*n == 30) return budget_period{k::month, 0};
      return budget_period{k::days, *n * 86'400};
    case 'h': return sub_day(*n * 3600);
    case 'm': return sub_day(*n * 60);
    case 's': return sub_day(*n);
    default: return std::nullopt;
  }
}

period_window window_at(const budget_period& p, std::int64_t now_ms) {
  using k = budget_period::kind;
  using namespace std::chrono;
  const std::int64_t midnight = floor_div(now_ms, day_ms) * day_ms;
  switch (p.k) {
    case k::never: return {0, std::nullopt};
    case k::day: return {midnight, midnight + day_ms};
    case k::week: {
      // 1970-01-01 was a Thursday: Monday is three days later in the week.
      std::int64_t days = floor_div(now_ms, day_ms);
      std::int64_t monday = days - ((days + 3) % 7 + 7) % 7;
      return {monday * day_ms, (monday + 7) * day_ms};
    }
    case k::month: {
      sys_days today{days{floor_div(now_ms, day_ms)}};
      year_month_day ymd{today};
      auto first = sys_days{ymd.year() / ymd.month() / 1};
      auto next = sys_days{(ymd.year() / ymd.month() + months{1}) / 1};
      return {first.time_since_epoch().count() * day_ms, next.time_since_epoch().count() * day_ms};
    }
    case k::within_day: {
      const std::int64_t len = p.length_s * 1000;
      std::int64_t start = midnight + floor_div(now_ms - midnight, len) * len;
      return {start, std::min(start + len, midnight + day_ms)};
    }
    case k::days: {
      const std::int64_t len = p.length_s * 1000;
      std::int64_t start = floor_div(now_ms, len) * len;
      return {start, start + len};
    }
  }
  return {0, std::nullopt};
}

}  // namespace passgate::limits

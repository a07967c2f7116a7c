#pragma once
// Budget periods: when a key's spend starts counting again. Resets fall on UTC
// calendar boundaries, as users of the Claude apps gateway and LiteLLM expect:
//   1d        every midnight
//   1w, 7d    Monday 00:00
//   1mo, 30d  the 1st of the month, 00:00
//   Nh Nm Ns  below a day: multiples of that length since midnight (a length
//             that does not divide the day ends its last window at midnight);
//             whole days (24h, 2880m) as Nd; other lengths over a day are refused
//   Nd        other day counts: multiples of N days since 1970-01-01
//   (empty)   never: the budget is for the key's lifetime
#include <cstdint>
#include <optional>
#include <string_view>

namespace passgate::limits {

struct budget_period {
  enum class kind { never, day, week, month, within_day, days };
  kind k = kind::never;
  std::int64_t length_s = 0;  // within_day and days: the window's length
  friend bool operator==(const budget_period&, const budget_period&) = default;
};

// nullopt: not a duration this accepts (the admin API and the config refuse it).
std::optional<budget_period> parse_budget_period(std::string_view text);

struct period_window {
  std::int64_t start_ms = 0;             // spend counts from here (inclusive)
  std::optional<std::int64_t> reset_ms;  // and starts again here; none: never
};

// The window that contains `now_ms` (unix milliseconds, UTC).
period_window window_at(const budget_period& p, std::int64_t now_ms);

// A key's budget_duration as stored (validated when it was set; anything else
// counts as a lifetime budget), and the window of it that contains now_ms.
inline budget_period period_of(std::string_view duration) {
  return parse_budget_period(duration).value_or(budget_period{});
}
inline period_window window_at(std::string_view duration, std::int64_t now_ms) {
  return window_at(period_of(duration), now_ms);
}

}  // namespace passgate::limits

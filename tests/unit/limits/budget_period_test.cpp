// Budget periods: every duration form, UTC calendar boundaries, month ends and
// leap years, and what is refused.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

#include "limits/budget_period.hpp"

namespace passgate::limits {
namespace {

using namespace std::chrono;

// Unix ms of a UTC date and time.
std::int64_t at(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0, int ms = 0) {
  auto date = sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
  return duration_cast<milliseconds>(date.time_since_epoch()).count() + ((hh * 60 + mm) * 60 + ss) * 1000ll + ms;
}

period_window window(std::string_view text, std::int64_t now) {
  auto p = parse_budget_period(text);
  EXPECT_TRUE(p) << text;
  return window_at(p.value_or(budget_period{}), now);
}

void expect_window(std::string_view text, std::int64_t now, std::int64_t start, std::int64_t reset) {
  auto w = window(text, now);
  EXPECT_EQ(w.start_ms, start) << text;
  ASSERT_TRUE(w.reset_ms) << text;
  EXPECT_EQ(*w.reset_ms, reset) << text;
}

TEST(budget_period, day_resets_at_utc_midnight) {
  std::cout << "checks: 1d counts from today's UTC midnight and resets at the next; at midnight itself a new day\n";
  expect_window("1d", at(2026, 11, 29, 17, 5), at(2026, 11, 29), at(2026, 11, 30));
  expect_window("1d", at(2026, 11, 30), at(2026, 11, 30), at(2026, 12, 1));
  expect_window("1d", at(2026, 11, 29, 23, 59, 59, 999), at(2026, 11, 29), at(2026, 11, 30));
  expect_window("24h", at(2026, 11, 29, 17), at(2026, 11, 29), at(2026, 11, 30));
}

TEST(budget_period, week_resets_on_monday) {
  std::cout << "checks: 1w and 7d reset on Monday 00:00 UTC (2026-11-29 is a Sunday, 11-30 a Monday)\n";
  for (auto text : {"1w", "7d"}) {
    expect_window(text, at(2026, 11, 29, 12), at(2026, 11, 23), at(2026, 11, 30));
    expect_window(text, at(2026, 11, 30), at(2026, 11, 30), at(2026, 12, 7));
    expect_window(text, at(2026, 12, 2, 3), at(2026, 11, 30), at(2026, 12, 7));
  }
  std::cout << "checks: the same before 1970 (floor, not truncation)\n";
  expect_window("1w", at(1969, 12, 31, 12), at(1969, 12, 29), at(1970, 1, 5));
}

TEST(budget_period, month_resets_on_the_first_across_month_ends_and_leap_years) {
  std::cout << "checks: 1mo and 30d reset on the 1st: 31-, 30-, 28- and 29-day months, and the year's end\n";
  for (auto text : {"1mo", "30d"}) {
    expect_window(text, at(2026, 11, 29), at(2026, 11, 1), at(2026, 12, 1));
    expect_window(text, at(2026, 12, 31, 23, 59), at(2026, 12, 1), at(2027, 1, 1));
    expect_window(text, at(2027, 1, 31, 12), at(2027, 1, 1), at(2027, 2, 1));
    expect_window(text, at(2027, 2, 28, 23), at(2027, 2, 1), at(2027, 3, 1));
    expect_window(text, at(2028, 2, 29, 23), at(2028, 2, 1), at(2028, 3, 1));
    expect_window(text, at(2028, 3, 1), at(2028, 3, 1), at(2028, 4, 1));
    expect_window(text, at(2100, 2, 28), at(2100, 2, 1), at(2100, 3, 1));  // not a leap year
  }
}

TEST(budget_period, hours_minutes_seconds_are_multiples_since_midnight) {
  std::cout << "checks: 6h, 30m, 45s windows start at multiples of their length since midnight\n";
  expect_window("6h", at(2026, 11, 29, 17, 5), at(2026, 11, 29, 12), at(2026, 11, 29, 18));
  expect_window("30m", at(2026, 11, 29, 17, 45), at(2026, 11, 29, 17, 30), at(2026, 11, 29, 18));
  expect_window("45s", at(2026, 11, 29, 0, 1, 40), at(2026, 11, 29, 0, 1, 30), at(2026, 11, 29, 0, 2, 15));
  std::cout << "checks: a length that does not divide the day ends its last window at midnight (7h: 21:00 → 24:00)\n";
  expect_window("7h", at(2026, 11, 29, 22), at(2026, 11, 29, 21), at(2026, 11, 30));
  expect_window("7h", at(2026, 11, 30, 1), at(2026, 11, 30), at(2026, 11, 30, 7));
}

TEST(budget_period, whole_days_written_in_hours_minutes_or_seconds_are_days) {
  std::cout << "checks: 2880m is 2d, 10080m and 168h are a week (Monday), 86400s is a day\n";
  EXPECT_EQ(parse_budget_period("2880m"), parse_budget_period("2d"));
  EXPECT_EQ(parse_budget_period("10080m"), parse_budget_period("1w"));
  EXPECT_EQ(parse_budget_period("168h"), parse_budget_period("1w"));
  EXPECT_EQ(parse_budget_period("86400s"), parse_budget_period("1d"));
}

TEST(budget_period, other_day_counts_are_aligned_on_1970) {
  std::cout << "checks: 2d windows are multiples of two days since 1970-01-01\n";
  auto w = window("2d", at(2026, 11, 29, 5));
  EXPECT_EQ(w.start_ms % (2 * 86'400'000ll), 0);
  EXPECT_LE(w.start_ms, at(2026, 11, 29, 5));
  EXPECT_EQ(*w.reset_ms - w.start_ms, 2 * 86'400'000ll);
}

TEST(budget_period, no_duration_never_resets_and_bad_ones_are_refused) {
  std::cout << "checks: an empty duration counts from the beginning and never resets\n";
  auto w = window("", at(2026, 11, 29));
  EXPECT_EQ(w.start_ms, 0);
  EXPECT_FALSE(w.reset_ms);
  std::cout << "checks: 0d, -1d, 1x, 2w, 2mo, d, 1.5d, 30, and lengths over a day that are not whole days "
               "(36h, 1500m, 90000s) are refused\n";
  for (auto bad : {"0d", "-1d", "1x", "2w", "2mo", "d", "1.5d", "30", "mo", "1 d", "36h", "1500m", "90000s"})
    EXPECT_FALSE(parse_budget_period(bad)) << bad;
}

}  // namespace
}  // namespace passgate::limits

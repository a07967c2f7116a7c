// ISO 8601 times of the admin API: formatting (UTC, "Z") and the filter parser.
#include <gtest/gtest.h>

#include <iostream>

#include "admin/time_format.hpp"

namespace passgate::admin {
namespace {

TEST(time_format, formats_utc) {
  std::cout << "  checks: seconds and milliseconds render as ISO 8601 UTC, before 1970 too\n";
  EXPECT_EQ(iso_seconds(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(iso_seconds(1'714'521'600), "2024-05-01T00:00:00Z");
  EXPECT_EQ(iso_seconds(951'782'400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(iso_millis(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(iso_millis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(iso_seconds(-86400), "1969-12-31T00:00:00Z");
}

TEST(time_format, parses_dates_and_date_times) {
  std::cout << "  checks: a date is the start of its UTC day; date-times take Z, offsets or no zone (UTC)\n";
  auto d = parse_iso_time("2024-05-01");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->date_only);
  EXPECT_EQ(d->unix_ms, 1'714'521'600'000);
  struct ok_case {
    const char* text;
    std::int64_t ms;
  };
  for (auto c : {ok_case{"2024-05-01T00:00:00Z", 1'714'521'600'000}, ok_case{"2024-05-01T00:00", 1'714'521'600'000},
                 ok_case{"2024-05-01 01:02:03", 1'714'525'323'000}, ok_case{"2024-05-01t01:02:03z", 1'714'525'323'000},
                 ok_case{"2024-05-01T00:00:00.5Z", 1'714'521'600'500},
                 ok_case{"2024-05-01T00:00:00.123456789Z", 1'714'521'600'123},
                 ok_case{"2024-05-01T02:00:00+02:00", 1'714'521'600'000},
                 ok_case{"2024-04-30T22:00:00-0200", 1'714'521'600'000}}) {
    auto t = parse_iso_time(c.text);
    ASSERT_TRUE(t) << c.text;
    EXPECT_FALSE(t->date_only) << c.text;
    EXPECT_EQ(t->unix_ms, c.ms) << c.text;
  }
}

TEST(time_format, refuses_anything_else) {
  std::cout << "  checks: impossible dates, partial or padded text and unknown zones are refused\n";
  for (auto bad : {"", "2024", "2024-5-1", "2024-05-1", "2024-02-30", "2023-02-29", "2024-13-01", "2024-05-01T",
                   "2024-05-01T24:00", "2024-05-01T12:60", "2024-05-01T12:00:60", "2024-05-01T12:00:00.",
                   "2024-05-01T12:00:00+2", "2024-05-01T12:00:00 UTC", " 2024-05-01", "2024-05-01 ", "yesterday",
                   "2024-05-01T12:00:00.1234567890Z"})
    EXPECT_FALSE(parse_iso_time(bad)) << bad;
}

}  // namespace
}  // namespace passgate::admin

#pragma once
// Times in the admin API and CLI: ISO 8601, always UTC ("Z").
//   key times (unix seconds):       "2025-01-31T12:00:00Z"
//   spend times (unix milliseconds): "2025-01-31T12:00:00.123Z"
// Filters accept a date ("2025-01-31") or a date-time ("2025-01-31T12:00",
// "2025-01-31T12:00:00.5Z", "2025-01-31 12:00:00+02:00"); no zone means UTC.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace passgate::admin {

std::string iso_seconds(std::int64_t unix_s);
std::string iso_millis(std::int64_t unix_ms);

struct parsed_time {
  std::int64_t unix_ms = 0;
  bool date_only = false;  // "2025-01-31": the start of that UTC day
};
// nullopt for anything else (including impossible dates such as 2025-02-30).
std::optional<parsed_time> parse_iso_time(std::string_view s);

}  // namespace passgate::admin

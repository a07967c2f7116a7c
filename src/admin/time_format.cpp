#include "admin/time_format.hpp"

#include <chrono>
#include <cstdio>

namespace passgate::admin {
namespace {

namespace chr = std::chrono;

constexpr std::int64_t ms_per_day = 86'400'000;

struct civil {
  int year, month, day, hour, minute, second, millis;
};

civil split(std::int64_t unix_ms) {
  // Floor division, so that times before 1970 still land on the right day.
  std::int64_t days = unix_ms / ms_per_day - (unix_ms % ms_per_day < 0 ? 1 : 0);
  std::int64_t in_day = unix_ms - days * ms_per_day;
  chr::year_month_day ymd{chr::sys_days{chr::days{days}}};
  return {int(ymd.year()), int(unsigned(ymd.month())), int(unsigned(ymd.day())), int(in_day / 3'600'000),
          int(in_day / 60'000 % 60), int(in_day / 1000 % 60), int(in_day % 1000)};
}

// Reads exactly n digits at s[pos..]; advances pos.
std::optional<int> digits(std::string_view s, std::size_t& pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool eat(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

std::string iso_seconds(std::int64_t unix_s) {
  auto c = split(unix_s * 1000);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour, c.minute,
                c.second);
  return buf;
}

std::string iso_millis(std::int64_t unix_ms) {
  auto c = split(unix_ms);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day, c.hour, c.minute,
                c.second, c.millis);
  return buf;
}

std::optional<parsed_time> parse_iso_time(std::string_view s) {
  std::size_t pos = 0;
  auto y = digits(s, pos, 4);
  if (!y || !eat(s, pos, '-')) return std::nullopt;
  auto mo = digits(s, pos, 2);
  if (!mo || !eat(s, pos, '-')) return std::nullopt;
  auto d = digits(s, pos, 2);
  if (!d) return std::nullopt;
  chr::year_month_day ymd{chr::year{*y}, chr::month{unsigned(*mo)}, chr::day{unsigned(*d)}};
  if (!ymd.ok()) return std::nullopt;
  std::int64_t day_ms = std::int64_t(chr::sys_days{ymd}.time_since_epoch().count()) * ms_per_day;
  if (pos == s.size()) return parsed_time{day_ms, true};

  if (!eat(s, pos, 'T') && !eat(s, pos, 't') && !eat(s, pos, ' ')) return std::nullopt;
  auto h = digits(s, pos, 2);
  if (!h || *h > 23 || !eat(s, pos, ':')) return std::nullopt;
  auto mi = digits(s, pos, 2);
  if (!mi || *mi > 59) return std::nullopt;
  int sec = 0, millis = 0;
  if (eat(s, pos, ':')) {
    auto se = digits(s, pos, 2);
    if (!se || *se > 59) return std::nullopt;  // no leap seconds
    sec = *se;
    if (eat(s, pos, '.')) {
      std::size_t first = pos;
      int scale = 100;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        millis += (s[pos] - '0') * scale;  // digits past milliseconds are dropped
        scale /= 10;
        ++pos;
      }
      if (pos == first || pos - first > 9) return std::nullopt;
    }
  }
  std::int64_t offset_min = 0;
  if (eat(s, pos, 'Z') || eat(s, pos, 'z')) {
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos++] == '-' ? -1 : 1;
    auto oh = digits(s, pos, 2);
    if (!oh || *oh > 23) return std::nullopt;
    eat(s, pos, ':');
    auto om = digits(s, pos, 2);
    if (!om || *om > 59) return std::nullopt;
    offset_min = sign * (*oh * 60 + *om);
  }
  if (pos != s.size()) return std::nullopt;
  std::int64_t ms = day_ms + ((std::int64_t(*h) * 60 + *mi - offset_min) * 60 + sec) * 1000 + millis;
  return parsed_time{ms, false};
}

}  // namespace passgate::admin

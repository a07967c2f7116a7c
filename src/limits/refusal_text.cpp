#include "limits/refusal_text.hpp"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <ctime>

namespace passgate::limits {

std::string_view to_string(refusal r) {
  switch (r) {
    case refusal::none: return "none";
    case refusal::budget: return "budget";
    case refusal::rpm: return "rpm";
    case refusal::tpm: return "tpm";
    case refusal::parallel: return "parallel";
    case refusal::unavailable: return "unavailable";
  }
  return "none";
}

std::string iso_utc(std::int64_t ms) {
  std::time_t t = ms / 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string usd(double v) { return v >= 0.01 || v == 0 ? fmt::format("${:.2f}", v) : fmt::format("${:.6f}", v); }

std::int64_t rate_retry_s(std::int64_t ms) { return std::clamp<std::int64_t>((ms + 999) / 1000, 1, 60); }

void refuse_budget(admission& a, const auth::key_record& k, double spend, std::optional<std::int64_t> reset_ms,
                   std::int64_t now_ms) {
  a.refused = refusal::budget;
  a.retry_after_s = reset_ms ? std::max<std::int64_t>(1, (*reset_ms - now_ms + 999) / 1000) : 0;
  a.message = fmt::format("budget of {} for key '{}' spent ({} {}; {})", usd(k.max_budget.value_or(0)), key_name(k),
                          usd(spend), reset_ms ? "this period" : "in all",
                          reset_ms ? "resets " + iso_utc(*reset_ms) : std::string("it does not reset"));
}

void refuse_rpm(admission& a, const auth::key_record& k, std::int64_t ms_until_below) {
  a.refused = refusal::rpm;
  a.retry_after_s = rate_retry_s(ms_until_below);
  a.message = fmt::format("rate limit of {} requests per minute for key '{}' reached; retry in {} s",
                          k.rpm_limit.value_or(0), key_name(k), a.retry_after_s);
}

void refuse_tpm(admission& a, const auth::key_record& k, std::int64_t ms_until_below) {
  a.refused = refusal::tpm;
  a.retry_after_s = rate_retry_s(ms_until_below);
  a.message = fmt::format("rate limit of {} tokens per minute for key '{}' reached; retry in {} s",
                          k.tpm_limit.value_or(0), key_name(k), a.retry_after_s);
}

void refuse_parallel(admission& a, const auth::key_record& k, std::int64_t in_flight) {
  a.refused = refusal::parallel;
  a.retry_after_s = 1;
  a.message = fmt::format("key '{}' already has {} request(s) in flight, its limit; retry when one ends", key_name(k),
                          in_flight);
}

void refuse_unavailable(admission& a) {
  a.refused = refusal::unavailable;
  a.retry_after_s = 1;
  a.message = "the shared limits store cannot be reached, and this gateway is set to refuse requests until it is back "
              "(limits.on_shared_error: deny); retry shortly";
}

}  // namespace passgate::limits

#pragma once
// What a refused request is told: the refusal's message and retry-after, the
// same from every limiter backend (local_limiter.cpp, redis_limiter.cpp), so a
// client cannot tell which one counted.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/key_record.hpp"
#include "limits/limiter.hpp"

namespace passgate::limits {

// "2024-10-05T00:00:00Z"
std::string iso_utc(std::int64_t ms);
// Dollars for a person: cents, or more digits for budgets under a cent.
std::string usd(double v);
// Whole seconds, rounded up, within the 1–60 s a rate limit can ask for.
std::int64_t rate_retry_s(std::int64_t ms);
// How a key is named in messages: its alias, else its id.
inline const std::string& key_name(const auth::key_record& k) { return k.key_alias.empty() ? k.key_id : k.key_alias; }

// Each sets refused, retry_after_s and message; the x-ratelimit numbers are the caller's.
// reset_ms: the budget window's end (none: a lifetime budget).
void refuse_budget(admission& a, const auth::key_record& k, double spend, std::optional<std::int64_t> reset_ms,
                   std::int64_t now_ms);
// ms_until_below: how long until the window drops under the limit.
void refuse_rpm(admission& a, const auth::key_record& k, std::int64_t ms_until_below);
void refuse_tpm(admission& a, const auth::key_record& k, std::int64_t ms_until_below);
void refuse_parallel(admission& a, const auth::key_record& k, std::int64_t in_flight);
// A shared backend that cannot be asked, with on_shared_error: deny.
void refuse_unavailable(admission& a);

}  // namespace passgate::limits

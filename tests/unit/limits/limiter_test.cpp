// The in-process limiter with an injected clock: budgets crossed, reset and
// seeded, budget_credentials, rpm/tpm windows, parallel slots.
#include <gtest/gtest.h>

#include <iostream>

#include "limits/limiter.hpp"

namespace passgate::limits {
namespace {

using policy::credential_label;

constexpr std::int64_t day_ms = 86'400'000;
constexpr std::int64_t t0 = 20'000 * day_ms + 3'600'000;  // 01:00 UTC on some day

auth::key_record key(std::string alias = "alice") {
  auth::key_record k;
  k.key_id = "key_" + alias;
  k.key_alias = alias;
  return k;
}

TEST(limiter, keys_without_limits_have_none) {
  std::cout << "checks: has_limits is false for a plain key and true for each kind of limit\n";
  auto k = key();
  EXPECT_FALSE(has_limits(k));
  k.rpm_limit = 1;
  EXPECT_TRUE(has_limits(k));
  k = key();
  k.max_budget = 1;
  EXPECT_TRUE(has_limits(k));
}

TEST(limiter, budget_is_refused_once_spent_and_resets_at_the_boundary) {
  auto lim = make_local_limiter();
  auto k = key();
  k.max_budget = 10;
  k.budget_duration = "1d";
  std::cout << "checks: $9.99 spent: admitted; $10.02: refused with billing reason, reset time and seconds to it\n";
  EXPECT_EQ(lim->admit(k, credential_label::server, false, t0).refused, refusal::none);
  lim->charge(k, credential_label::server, 100, 9.99, t0);
  EXPECT_EQ(lim->admit(k, credential_label::server, false, t0 + 1).refused, refusal::none);
  lim->charge(k, credential_label::server, 100, 0.03, t0 + 2);
  auto a = lim->admit(k, credential_label::server, false, t0 + 3);
  EXPECT_EQ(a.refused, refusal::budget);
  EXPECT_EQ(a.retry_after_s, (day_ms - 3'600'000 - 3 + 999) / 1000);
  EXPECT_NE(a.message.find("budget of $10.00 for key 'alice' spent ($10.02 this period; resets "), std::string::npos)
      << a.message;
  EXPECT_NE(a.message.find("T00:00:00Z"), std::string::npos) << a.message;
  std::cout << "checks: count_tokens (budget-exempt) still passes\n";
  EXPECT_EQ(lim->admit(k, credential_label::server, true, t0 + 4).refused, refusal::none);
  std::cout << "checks: at the next midnight the budget is whole again\n";
  EXPECT_EQ(lim->admit(k, credential_label::server, false, 20'001 * day_ms - 1).refused, refusal::budget);
  EXPECT_EQ(lim->admit(k, credential_label::server, false, 20'001 * day_ms).refused, refusal::none);
}

TEST(limiter, budget_credentials_limit_what_counts_and_what_is_refused) {
  auto lim = make_local_limiter();
  auto k = key();
  k.max_budget = 1;
  k.budget_credentials = policy::label_set{};
  k.budget_credentials.add(credential_label::server);
  std::cout << "checks: with budget_credentials [server], byok cost does not count and byok is never refused\n";
  lim->charge(k, credential_label::byok, 0, 5, t0);
  EXPECT_EQ(lim->admit(k, credential_label::server, false, t0).refused, refusal::none);
  lim->charge(k, credential_label::server, 0, 1, t0);
  EXPECT_EQ(lim->admit(k, credential_label::server, false, t0).refused, refusal::budget);
  EXPECT_EQ(lim->admit(k, credential_label::byok, false, t0).refused, refusal::none);
  EXPECT_EQ(lim->admit(k, credential_label::oauth, false, t0).refused, refusal::none);
}

TEST(limiter, a_restart_mid_period_is_seeded_from_the_store) {
  auto lim = make_local_limiter();
  auto k = key();
  k.max_budget = 2;
  k.budget_duration = "1mo";
  std::cout << "checks: a fresh limiter wants a seed; $2.50 seeded for this period is refused, with no reset for lifetime\n";
  EXPECT_TRUE(lim->needs_seed(k, t0));
  auto start = t0 - (t0 % day_ms);  // not the month start: a seed for another period is ignored
  lim->seed_budget(k, start, 100);
  EXPECT_EQ(lim->admit(k, credential_label::server, false, t0).refused, refusal::none);
  // The real month start for t0 (day 20000 since 1970 is 2024-10-04).
  constexpr std::int64_t oct_1_2024 = 19'997 * day_ms;
  lim->seed_budget(k, oct_1_2024, 2.5);
  EXPECT_FALSE(lim->needs_seed(k, t0));
  EXPECT_EQ(lim->admit(k, credential_label::server, false, t0).refused, refusal::budget);
  std::cout << "checks: a seed never lowers what this process counted\n";
  lim->seed_budget(k, oct_1_2024, 0.1);
  EXPECT_EQ(lim->admit(k, credential_label::server, false, t0).refused, refusal::budget);
  auto life = key("bob");
  life.max_budget = 1;
  lim->seed_budget(life, 0, 1);
  auto a = lim->admit(life, credential_label::server, false, t0);
  EXPECT_EQ(a.refused, refusal::budget);
  EXPECT_EQ(a.retry_after_s, 0);
  EXPECT_NE(a.message.find("it does not reset"), std::string::npos);
}

TEST(limiter, a_new_duration_is_seeded_and_an_older_record_cannot_reset_it) {
  auto lim = make_local_limiter();
  auto old_rec = key();
  old_rec.max_budget = 10;
  old_rec.budget_duration = "1d";
  lim->seed_budget(old_rec, t0 - 3'600'000, 9.5);
  auto new_rec = old_rec;
  new_rec.budget_duration = "1mo";
  std::cout << "checks: a key moved from 1d to 1mo wants a seed; an older record's requests meanwhile keep the "
               "spend (no reset to zero)\n";
  EXPECT_TRUE(lim->needs_seed(new_rec, t0));
  lim->charge(old_rec, credential_label::server, 0, 0.25, t0);
  EXPECT_EQ(lim->admit(old_rec, credential_label::server, false, t0).refused, refusal::none);
  lim->charge(old_rec, credential_label::server, 0, 0.5, t0);
  EXPECT_EQ(lim->admit(old_rec, credential_label::server, false, t0).refused, refusal::budget);  // 10.25
  std::cout << "checks: seeded for the month with $10.40: refused under either record, and seeded no more\n";
  constexpr std::int64_t oct_1_2024 = 19'997 * day_ms;
  lim->seed_budget(new_rec, oct_1_2024, 10.4);
  EXPECT_FALSE(lim->needs_seed(new_rec, t0));
  EXPECT_EQ(lim->admit(new_rec, credential_label::server, false, t0).refused, refusal::budget);
  lim->charge(old_rec, credential_label::server, 0, 0.1, t0);
  EXPECT_EQ(lim->admit(new_rec, credential_label::server, false, t0).refused, refusal::budget);
}

TEST(limiter, a_budget_removed_and_set_again_is_read_back) {
  auto lim = make_local_limiter();
  auto k = key();
  k.max_budget = 1;
  lim->seed_budget(k, 0, 0.5);
  EXPECT_FALSE(lim->needs_seed(k, t0));
  std::cout << "checks: a key published without a budget forgets its seed; with one again it wants a seed\n";
  auto none = k;
  none.max_budget.reset();
  EXPECT_FALSE(lim->needs_seed(none, t0));
  EXPECT_TRUE(lim->needs_seed(k, t0));
  std::cout << "checks: new budget_credentials want a seed too\n";
  lim->seed_budget(k, 0, 0.5);
  auto server_only = k;
  server_only.budget_credentials = policy::label_set{};
  server_only.budget_credentials.add(credential_label::server);
  EXPECT_TRUE(lim->needs_seed(server_only, t0));
}

TEST(limiter, rpm_is_an_exact_minute_with_a_truthful_retry_after) {
  auto lim = make_local_limiter();
  auto k = key();
  k.rpm_limit = 3;
  std::cout << "checks: 3 requests at 0, 10 and 20 s pass with remaining 2, 1, 0; the 4th at 30 s waits 30 s\n";
  std::int64_t remaining[] = {2, 1, 0};
  for (int i = 0; i < 3; ++i) {
    auto a = lim->admit(k, credential_label::byok, false, t0 + i * 10'000);
    EXPECT_EQ(a.refused, refusal::none);
    EXPECT_EQ(a.rpm_limit, 3);
    EXPECT_EQ(a.rpm_remaining, remaining[i]);
  }
  auto a = lim->admit(k, credential_label::byok, false, t0 + 30'000);
  EXPECT_EQ(a.refused, refusal::rpm);
  EXPECT_EQ(a.retry_after_s, 30);
  EXPECT_EQ(a.rpm_remaining, 0);
  std::cout << "checks: refused requests do not count; at 60 s the first one left\n";
  EXPECT_EQ(lim->admit(k, credential_label::byok, false, t0 + 59'999).refused, refusal::rpm);
  EXPECT_EQ(lim->admit(k, credential_label::byok, false, t0 + 60'000).refused, refusal::none);
}

TEST(limiter, tpm_counts_tokens_charged_in_the_last_minute) {
  auto lim = make_local_limiter();
  auto k = key();
  k.tpm_limit = 20;
  std::cout << "checks: 15 tokens used: admitted with 5 remaining; 30: refused until they age out\n";
  EXPECT_EQ(lim->admit(k, credential_label::oauth, false, t0).refused, refusal::none);
  lim->charge(k, credential_label::oauth, 15, 0, t0);
  auto a = lim->admit(k, credential_label::oauth, false, t0 + 1000);
  EXPECT_EQ(a.refused, refusal::none);
  EXPECT_EQ(a.tpm_remaining, 5);
  lim->charge(k, credential_label::oauth, 15, 0, t0 + 2000);
  a = lim->admit(k, credential_label::oauth, false, t0 + 3000);
  EXPECT_EQ(a.refused, refusal::tpm);
  EXPECT_EQ(a.retry_after_s, 57);
  EXPECT_EQ(lim->admit(k, credential_label::oauth, false, t0 + 60'000).refused, refusal::none);
}

TEST(limiter, parallel_slots_are_held_until_released) {
  auto lim = make_local_limiter();
  auto k = key();
  k.max_parallel_requests = 2;
  std::cout << "checks: two in flight: the third refused (retry 1 s); one released: admitted again\n";
  auto a = lim->admit(k, credential_label::none, false, t0);
  auto b = lim->admit(k, credential_label::none, false, t0);
  EXPECT_TRUE(a.holds_parallel);
  EXPECT_TRUE(b.holds_parallel);
  auto c = lim->admit(k, credential_label::none, false, t0);
  EXPECT_EQ(c.refused, refusal::parallel);
  EXPECT_FALSE(c.holds_parallel);
  EXPECT_EQ(c.retry_after_s, 1);
  lim->release_parallel(k, a);
  EXPECT_EQ(lim->admit(k, credential_label::none, false, t0).refused, refusal::none);
}

}  // namespace
}  // namespace passgate::limits

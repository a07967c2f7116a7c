// The Redis limiter against a real redis-server (tests/support/redis_instance.hpp):
// several limiter objects on one server stand for several gateways. Answers are
// compared with the in-process limiter's for the same sequence; outages are a
// stopped server. No wall-clock thresholds: asynchronous effects are polled.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "limits/limiter.hpp"
#include "limits/redis_connection.hpp"
#include "limits/redis_limiter.hpp"
#include "support/captured_log.hpp"
#include "support/eventually.hpp"
#include "support/redis_instance.hpp"

namespace passgate::limits {
namespace {

using passgate::test::captured_log;

using policy::credential_label;
using test::eventually;
using test::redis_instance;

constexpr std::int64_t day_ms = 86'400'000;
constexpr std::int64_t t0 = 20'000 * day_ms + 3'600'000;  // 01:00 UTC on 2024-10-04

// One server for the tests that do not stop it; each test counts under its own prefix.
redis_instance& shared_redis() {
  static redis_instance r;
  return r;
}

redis_options options(const redis_instance& r, std::string prefix) {
  redis_options o;
  o.url = r.url();
  o.key_prefix = "test:" + prefix + ":";
  return o;
}

auth::key_record key(std::string alias = "alice") {
  auth::key_record k;
  k.key_id = "key_" + alias;
  k.key_alias = alias;
  return k;
}

// Waits for every queued charge and release of `lim` to have run: its client
// sends jobs in order, so an answered admit comes after them.
void flush(limiter& lim) { lim.admit(key("nobody"), credential_label::none, false, t0); }

void expect_same(const admission& want, const admission& got, const std::string& step) {
  SCOPED_TRACE(step);
  EXPECT_EQ(want.refused, got.refused);
  EXPECT_EQ(want.retry_after_s, got.retry_after_s);
  EXPECT_EQ(want.message, got.message);
  EXPECT_EQ(want.holds_parallel, got.holds_parallel);
  EXPECT_EQ(want.rpm_limit, got.rpm_limit);
  EXPECT_EQ(want.rpm_remaining, got.rpm_remaining);
  EXPECT_EQ(want.tpm_limit, got.tpm_limit);
  EXPECT_EQ(want.tpm_remaining, got.tpm_remaining);
}

TEST(redis_limiter, a_bad_url_is_refused_without_echoing_the_password) {
  std::cout << "checks: malformed redis URLs throw invalid_argument whose text never holds the password\n";
  for (const char* url : {"http://:hunter2@host:6379", "redis://:hunter2@host:port", "redis://:hunter2@:6379",
                          "redis://u:hunter2@host:6379/db", "redis://hunter2@host", "rediss://:hunter2@host",
                          "redis://:hunter2%zz@host", "redis://:hunter2@host:70000"}) {
    redis_options o;
    o.url = url;
    try {
      make_redis_limiter(o);
      ADD_FAILURE() << "accepted a bad URL";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("redis://"), std::string::npos) << e.what();
    }
  }
  std::cout << "checks: user, %-encoded password, port and db are read; the display form has no credentials\n";
  auto t = parse_redis_url("redis://me:p%40ss@cache.local:6380/2");
  EXPECT_EQ(t.host, "cache.local");
  EXPECT_EQ(t.port, 6380);
  EXPECT_EQ(t.user, "me");
  EXPECT_EQ(t.password, "p@ss");
  EXPECT_EQ(t.db, 2);
  EXPECT_EQ(t.display, "redis://cache.local:6380/2");
  auto plain = parse_redis_url("redis://[::1]");
  EXPECT_EQ(plain.host, "::1");
  EXPECT_EQ(plain.port, 6379);
  EXPECT_TRUE(plain.password.empty());
}

TEST(redis_limiter, two_gateways_share_an_exact_minute_and_answer_as_the_local_one) {
  auto& r = shared_redis();
  auto a = make_redis_limiter(options(r, "rpm"));
  auto b = make_redis_limiter(options(r, "rpm"));
  auto local = make_local_limiter();
  EXPECT_TRUE(a->remote());
  auto k = key();
  k.rpm_limit = 10;
  std::cout << "checks: 20 admits alternating between two gateways: exactly 10 pass; each answer (message, "
               "retry-after, x-ratelimit numbers) is the local limiter's\n";
  int admitted = 0;
  for (int i = 0; i < 20; ++i) {
    auto now = t0 + i * 1000;
    auto got = (i % 2 ? b : a)->admit(k, credential_label::byok, false, now);
    auto want = local->admit(k, credential_label::byok, false, now);
    expect_same(want, got, "admit " + std::to_string(i));
    admitted += got.refused == refusal::none;
  }
  EXPECT_EQ(admitted, 10);
  std::cout << "checks: a minute after the first, one more passes (on either gateway)\n";
  EXPECT_EQ(b->admit(k, credential_label::byok, false, t0 + 59'999).refused, refusal::rpm);
  EXPECT_EQ(b->admit(k, credential_label::byok, false, t0 + 60'000).refused, refusal::none);
  EXPECT_EQ(a->admit(k, credential_label::byok, false, t0 + 60'000).refused, refusal::rpm);
  EXPECT_EQ(a->shared_errors(), 0u);
  EXPECT_FALSE(a->shared_degraded());
}

TEST(redis_limiter, every_limit_answers_as_the_local_limiter_does) {
  auto& r = shared_redis();
  auto o = options(r, "same");
  o.parallel_lease = std::chrono::hours(24 * 30);  // the local limiter has no lease
  std::unique_ptr<limiter> gw[] = {make_redis_limiter(o), make_redis_limiter(o)};
  auto local = make_local_limiter();
  auto k = key("bob");
  k.rpm_limit = 5;
  k.tpm_limit = 50;
  k.max_budget = 1;
  k.budget_duration = "1d";
  k.budget_credentials = policy::label_set{};
  k.budget_credentials.add(credential_label::server);
  k.max_parallel_requests = 2;
  std::cout << "checks: budget (server only), rpm, tpm and parallel refusals across two gateways, step by step, "
               "equal to the local limiter's answers\n";
  std::vector<admission> held_local, held_shared;
  int step = 0;
  auto admit = [&](int on, std::int64_t now, credential_label l, bool exempt = false) {
    auto want = local->admit(k, l, exempt, now);
    auto got = gw[on]->admit(k, l, exempt, now);
    expect_same(want, got, "step " + std::to_string(step++));
    held_local.push_back(want);
    held_shared.push_back(got);
    return got;
  };
  auto release = [&](int on, std::size_t i) {
    local->release_parallel(k, held_local[i]);
    gw[on]->release_parallel(k, held_shared[i]);
    flush(*gw[on]);
  };
  auto charge = [&](int on, std::int64_t now, credential_label l, std::int64_t tokens, double cost) {
    local->charge(k, l, tokens, cost, now);
    gw[on]->charge(k, l, tokens, cost, now);
    flush(*gw[on]);
  };
  admit(0, t0, credential_label::server);                              // 0: in flight 1
  admit(1, t0 + 1, credential_label::byok);                            // 1: in flight 2
  EXPECT_EQ(admit(0, t0 + 2, credential_label::server).refused, refusal::parallel);
  release(1, 0);                                                       // a slot of gateway 0, freed by 1
  EXPECT_EQ(admit(0, t0 + 3, credential_label::server).refused, refusal::none);  // 3
  charge(0, t0 + 4, credential_label::server, 30, 0.6);
  charge(1, t0 + 5, credential_label::byok, 25, 5);                   // byok: no budget
  release(0, 1);
  release(1, 3);
  EXPECT_EQ(admit(1, t0 + 6, credential_label::server).refused, refusal::tpm);
  EXPECT_EQ(admit(0, t0 + 60'005, credential_label::server).refused, refusal::none);  // 7
  charge(0, t0 + 60'006, credential_label::server, 5, 0.5);           // spend 1.10 of 1.00
  EXPECT_EQ(admit(1, t0 + 60'007, credential_label::server).refused, refusal::budget);
  EXPECT_EQ(admit(1, t0 + 60'008, credential_label::byok).refused, refusal::none);     // 9
  EXPECT_EQ(admit(0, t0 + 60'009, credential_label::server, true).refused, refusal::parallel);
  release(0, 7);
  release(1, 9);
  const std::int64_t next_day = 20'001 * day_ms;
  EXPECT_EQ(admit(1, next_day - 1, credential_label::server).refused, refusal::budget);
  for (int i = 0; i < 5; ++i) {
    auto a = admit(i % 2, next_day + i * 1000, credential_label::server);
    EXPECT_EQ(a.refused, refusal::none);
    release((i + 1) % 2, held_shared.size() - 1);
  }
  EXPECT_EQ(admit(0, next_day + 9000, credential_label::server).refused, refusal::rpm);
  EXPECT_EQ(gw[0]->shared_errors() + gw[1]->shared_errors(), 0u);
}

TEST(redis_limiter, concurrent_admits_through_three_gateways_never_exceed_the_limit) {
  auto& r = shared_redis();
  std::unique_ptr<limiter> gw[] = {make_redis_limiter(options(r, "race")), make_redis_limiter(options(r, "race")),
                                   make_redis_limiter(options(r, "race"))};
  auto k = std::make_shared<auth::key_record>(key("carol"));
  k->rpm_limit = 50;
  constexpr int threads = 6, per_thread = 60, total = threads * per_thread;
  std::cout << "checks: " << total << " admit_async from 6 threads through 3 gateways in one minute: exactly 50 "
               "admitted, every callback called exactly once\n";
  std::vector<std::atomic<int>> calls(total);
  std::atomic<int> admitted{0}, answered{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        int id = t * per_thread + i;
        gw[id % 3]->admit_async(k, credential_label::oauth, false, t0 + i, [&, id](admission a) {
          if (a.refused == refusal::none) ++admitted;
          ++calls[id];
          ++answered;
        });
      }
    });
  for (auto& th : pool) th.join();
  ASSERT_TRUE(eventually([&] { return answered.load() == total; }));
  EXPECT_EQ(admitted.load(), 50);
  for (int i = 0; i < total; ++i) EXPECT_EQ(calls[i].load(), 1) << "callback " << i;
}

TEST(redis_limiter, a_slot_is_released_by_any_gateway_and_reclaimed_after_the_lease) {
  auto& r = shared_redis();
  auto o = options(r, "slots");
  o.parallel_lease = std::chrono::seconds(10);
  auto a = make_redis_limiter(o);
  auto b = make_redis_limiter(o);
  auto k = key("dave");
  k.max_parallel_requests = 2;
  std::cout << "checks: two slots taken on two gateways: a third is refused; one released through the other "
               "gateway: admitted again\n";
  auto s1 = a->admit(k, credential_label::none, false, t0);
  auto s2 = b->admit(k, credential_label::none, false, t0);
  ASSERT_TRUE(s1.holds_parallel && s2.holds_parallel);
  EXPECT_TRUE(s1.shared_slot);
  EXPECT_NE(s1.parallel_slot, s2.parallel_slot);
  EXPECT_EQ(a->admit(k, credential_label::none, false, t0).refused, refusal::parallel);
  b->release_parallel(k, s1);
  admission s3;
  ASSERT_TRUE(eventually([&] {
    s3 = a->admit(k, credential_label::none, false, t0);
    return s3.refused == refusal::none;
  }));
  std::cout << "checks: slots never released (their gateway died) are free once older than the 10 s lease\n";
  EXPECT_EQ(b->admit(k, credential_label::none, false, t0 + 10'000).refused, refusal::parallel);
  EXPECT_EQ(b->admit(k, credential_label::none, false, t0 + 10'001).refused, refusal::none);
}

TEST(redis_limiter, tokens_and_spend_charged_on_one_gateway_count_on_another) {
  auto& r = shared_redis();
  auto a = make_redis_limiter(options(r, "charge"));
  auto b = make_redis_limiter(options(r, "charge"));
  auto local = make_local_limiter();
  auto k = key("erin");
  k.tpm_limit = 100;
  std::cout << "checks: 120 tokens charged on one gateway: the other refuses for tpm, as the local limiter would\n";
  a->charge(k, credential_label::oauth, 120, 0, t0);
  local->charge(k, credential_label::oauth, 120, 0, t0);
  ASSERT_TRUE(eventually([&] { return b->admit(k, credential_label::oauth, false, t0 + 1000).refused == refusal::tpm; }));
  expect_same(local->admit(k, credential_label::oauth, false, t0 + 1000),
              b->admit(k, credential_label::oauth, false, t0 + 1000), "tpm");
  EXPECT_EQ(b->admit(k, credential_label::oauth, false, t0 + 60'000).refused, refusal::none);

  auto m = key("frank");
  m.max_budget = 2;
  m.budget_duration = "1d";
  m.budget_credentials = policy::label_set{};
  m.budget_credentials.add(credential_label::server);
  std::cout << "checks: $2.10 charged (server) on one gateway is refused on another with the reset time; byok cost "
               "($5) is not counted and byok is never refused\n";
  a->charge(m, credential_label::server, 0, 1.5, t0);
  a->charge(m, credential_label::byok, 0, 5, t0);
  flush(*a);
  EXPECT_EQ(b->admit(m, credential_label::server, false, t0 + 1).refused, refusal::none);
  a->charge(m, credential_label::server, 0, 0.6, t0 + 2);
  ASSERT_TRUE(
      eventually([&] { return b->admit(m, credential_label::server, false, t0 + 3).refused == refusal::budget; }));
  auto refused = b->admit(m, credential_label::server, false, t0 + 3);
  EXPECT_EQ(refused.message,
            "budget of $2.00 for key 'frank' spent ($2.10 this period; resets 2024-10-05T00:00:00Z)");
  EXPECT_EQ(refused.retry_after_s, (day_ms - 3'600'000 - 3 + 999) / 1000);
  EXPECT_EQ(b->admit(m, credential_label::byok, false, t0 + 4).refused, refusal::none);
  EXPECT_EQ(b->admit(m, credential_label::server, true, t0 + 5).refused, refusal::none);  // count_tokens
  std::cout << "checks: the next day (period rollover) it is whole again\n";
  EXPECT_EQ(a->admit(m, credential_label::server, false, 20'001 * day_ms - 1).refused, refusal::budget);
  EXPECT_EQ(a->admit(m, credential_label::server, false, 20'001 * day_ms).refused, refusal::none);
}

TEST(redis_limiter, a_seed_is_shared_and_never_lowers) {
  auto& r = shared_redis();
  auto a = make_redis_limiter(options(r, "seed"));
  auto b = make_redis_limiter(options(r, "seed"));
  auto k = key("grace");
  k.max_budget = 4;
  k.budget_duration = "1d";
  const std::int64_t start = 20'000 * day_ms;
  std::cout << "checks: fresh gateways want a seed; $5 seeded by one refuses on the other; a later $3 seed does not "
               "lower it; a seed for a time that is not a period start is ignored\n";
  EXPECT_TRUE(a->needs_seed(k, t0));
  a->seed_budget(k, start, 5);
  EXPECT_FALSE(a->needs_seed(k, t0));
  EXPECT_TRUE(b->needs_seed(k, t0));
  EXPECT_EQ(b->admit(k, credential_label::server, false, t0).refused, refusal::budget);
  b->seed_budget(k, start, 3);
  EXPECT_FALSE(b->needs_seed(k, t0));
  EXPECT_EQ(a->admit(k, credential_label::server, false, t0).refused, refusal::budget);
  auto other = key("heidi");
  other.max_budget = 1;
  other.budget_duration = "1d";
  b->seed_budget(other, t0, 100);
  EXPECT_EQ(a->admit(other, credential_label::server, false, t0).refused, refusal::none);
  std::cout << "checks: a key that loses its budget forgets its seed; new budget_credentials want one\n";
  auto none = k;
  none.max_budget.reset();
  EXPECT_FALSE(a->needs_seed(none, t0));
  EXPECT_TRUE(a->needs_seed(k, t0));
  a->seed_budget(k, start, 5);
  auto server_only = k;
  server_only.budget_credentials = policy::label_set{};
  server_only.budget_credentials.add(credential_label::server);
  EXPECT_TRUE(a->needs_seed(server_only, t0));
}

TEST(redis_limiter, a_flushed_script_cache_is_loaded_again) {
  auto& r = shared_redis();
  auto a = make_redis_limiter(options(r, "noscript"));
  auto k = key("ivan");
  k.rpm_limit = 2;
  EXPECT_EQ(a->admit(k, credential_label::none, false, t0).refused, refusal::none);
  std::cout << "checks: after SCRIPT FLUSH (NOSCRIPT) the scripts are loaded again and counting goes on, no error\n";
  ASSERT_EQ(r.command("SCRIPT FLUSH"), "+OK");
  EXPECT_EQ(a->admit(k, credential_label::none, false, t0 + 1).rpm_remaining, 0);
  EXPECT_EQ(a->admit(k, credential_label::none, false, t0 + 2).refused, refusal::rpm);
  EXPECT_EQ(a->shared_errors(), 0u);
  EXPECT_FALSE(a->shared_degraded());
}

TEST(redis_limiter, while_redis_is_down_the_local_limiter_counts_then_redis_again) {
  redis_instance r;
  captured_log log;
  {
    auto o = options(r, "outage");
    auto lim = make_redis_limiter(o);
    auto k = key("judy");
    k.rpm_limit = 3;
    k.max_parallel_requests = 10;
    auto budgeted = key("ken");
    budgeted.max_budget = 10;
    lim->seed_budget(budgeted, 0, 1);
    EXPECT_FALSE(lim->needs_seed(budgeted, t0));
    auto first = lim->admit(k, credential_label::none, false, t0);
    EXPECT_TRUE(first.shared_slot);
    r.stop();
    std::cout << "checks: Redis stopped: admits are answered by local counting (3 pass, the 4th is refused for "
                 "rpm), degraded and errors counted\n";
    std::vector<admission> held;
    for (int i = 0; i < 3; ++i) {
      held.push_back(lim->admit(k, credential_label::none, false, t0 + 1 + i));
      EXPECT_EQ(held.back().refused, refusal::none) << i;
      EXPECT_TRUE(held.back().holds_parallel);
      EXPECT_FALSE(held.back().shared_slot);
    }
    auto fourth = lim->admit(k, credential_label::none, false, t0 + 10);
    EXPECT_EQ(fourth.refused, refusal::rpm);
    EXPECT_EQ(fourth.message, "rate limit of 3 requests per minute for key 'judy' reached; retry in 60 s");
    EXPECT_TRUE(lim->shared_degraded());
    EXPECT_GT(lim->shared_errors(), 0u);
    std::cout << "checks: while down, admit_async answers at once on the calling thread\n";
    bool called_here = false;
    auto here = std::this_thread::get_id();
    lim->admit_async(std::make_shared<auth::key_record>(k), credential_label::none, false, t0 + 11,
                     [&](admission) { called_here = std::this_thread::get_id() == here; });
    EXPECT_TRUE(called_here);
    for (auto& h : held) lim->release_parallel(k, h);  // local slots, released locally
    lim->release_parallel(k, first);                   // a shared one, kept until Redis is back
    std::cout << "checks: Redis started again: back to shared counting by itself; budgets want a new seed\n";
    r.start();
    ASSERT_TRUE(eventually([&] { return !lim->shared_degraded(); }));
    auto back = lim->admit(k, credential_label::none, false, t0 + 20);
    EXPECT_EQ(back.refused, refusal::none);
    EXPECT_TRUE(back.shared_slot);
    EXPECT_EQ(back.rpm_remaining, 2);  // the restarted server counts from empty
    EXPECT_TRUE(lim->needs_seed(budgeted, t0));
  }
  auto text = log.text();
  std::cout << "checks: one warning for the outage, one line when it is back\n";
  auto count = [&](std::string_view what) {
    int n = 0;
    for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("cannot be reached"), 1) << text;
  EXPECT_EQ(count("reachable again"), 1) << text;
}

TEST(redis_limiter, a_hung_server_times_out_to_the_fallback_and_is_used_again_when_it_answers) {
  redis_instance r;
  auto o = options(r, "hang");
  o.timeout = std::chrono::milliseconds(100);
  auto lim = make_redis_limiter(o);
  auto k = key("hank");
  k.max_parallel_requests = 5;
  EXPECT_TRUE(lim->admit(k, credential_label::none, false, t0).shared_slot);
  r.pause();
  std::cout << "checks: a server that stops answering (SIGSTOP): the admit waiting on it is answered by the local "
               "fallback once the read times out; degraded\n";
  auto a = lim->admit(k, credential_label::none, false, t0 + 1);
  EXPECT_EQ(a.refused, refusal::none);
  EXPECT_FALSE(a.shared_slot);
  EXPECT_TRUE(lim->shared_degraded());
  r.resume();
  std::cout << "checks: once it answers again, shared counting resumes by itself\n";
  ASSERT_TRUE(eventually([&] { return !lim->shared_degraded(); }));
  EXPECT_TRUE(lim->admit(k, credential_label::none, false, t0 + 2).shared_slot);
}

TEST(redis_limiter, deny_mode_refuses_as_unavailable) {
  redis_instance r;
  auto o = options(r, "deny");
  o.on_shared_error = redis_options::on_error::deny;
  auto lim = make_redis_limiter(o);
  auto k = key("leo");
  k.rpm_limit = 100;
  EXPECT_EQ(lim->admit(k, credential_label::none, false, t0).refused, refusal::none);
  r.stop();
  std::cout << "checks: Redis stopped with on_shared_error deny: refused as unavailable, retry in 1 s, saying why\n";
  auto a = lim->admit(k, credential_label::none, false, t0 + 1);
  EXPECT_EQ(a.refused, refusal::unavailable);
  EXPECT_EQ(a.retry_after_s, 1);
  EXPECT_NE(a.message.find("shared limits store cannot be reached"), std::string::npos) << a.message;
  EXPECT_EQ(to_string(a.refused), "unavailable");
  EXPECT_TRUE(lim->shared_degraded());
  EXPECT_EQ(lim->admit(k, credential_label::none, false, t0 + 2).refused, refusal::unavailable);
}

TEST(redis_limiter, every_callback_is_called_once_even_when_redis_dies_or_the_limiter_stops) {
  redis_instance r;
  auto k = std::make_shared<auth::key_record>(key("mallory"));
  k->rpm_limit = 1'000'000;
  k->max_parallel_requests = 1'000'000;
  constexpr int threads = 4, per_thread = 2'000, total = threads * per_thread;
  std::cout << "checks: " << total << " admit_async from 4 threads while Redis is stopped midway: each callback "
               "called exactly once\n";
  {
    auto lim = make_redis_limiter(options(r, "die"));
    std::vector<std::atomic<int>> calls(total);
    std::atomic<int> answered{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          int id = t * per_thread + i;
          lim->admit_async(k, credential_label::none, false, t0, [&, id](admission) {
            ++calls[id];
            ++answered;
          });
          if (i == per_thread / 4 && t == 0) r.stop();
        }
      });
    for (auto& th : pool) th.join();
    ASSERT_TRUE(eventually([&] { return answered.load() == total; }));
    for (int i = 0; i < total; ++i) EXPECT_EQ(calls[i].load(), 1) << "callback " << i;
  }
  r.start();
  std::cout << "checks: a limiter destroyed with admits still queued calls every callback before it is gone\n";
  std::vector<std::atomic<int>> calls(total);
  {
    auto lim = make_redis_limiter(options(r, "stop"));
    for (int i = 0; i < total; ++i)
      lim->admit_async(k, credential_label::none, false, t0, [&, i](admission) { ++calls[i]; });
  }
  for (int i = 0; i < total; ++i) EXPECT_EQ(calls[i].load(), 1) << "callback " << i;
}

TEST(redis_limiter, the_password_never_reaches_errors_or_logs) {
  redis_instance r({"--requirepass", "right-pass"});
  const std::string secret = "Wr0ng-s3cret";
  captured_log log;
  std::cout << "checks: a refused password: degraded, local counting, and the password is in no log line\n";
  {
    auto o = options(r, "auth");
    o.url = "redis://:" + secret + "@127.0.0.1:" + std::to_string(r.port());
    auto lim = make_redis_limiter(o);
    auto k = key("nina");
    k.rpm_limit = 5;
    EXPECT_EQ(lim->admit(k, credential_label::none, false, t0).refused, refusal::none);
    EXPECT_TRUE(eventually([&] { return lim->shared_degraded(); }));
  }
  auto text = log.text();
  EXPECT_NE(text.find("cannot be reached"), std::string::npos) << text;
  EXPECT_EQ(text.find(secret), std::string::npos) << text;
  std::cout << "checks: the right password: shared counting\n";
  auto o = options(r, "auth");
  o.url = "redis://:right-pass@127.0.0.1:" + std::to_string(r.port());
  auto lim = make_redis_limiter(o);
  auto k = key("olga");
  k.max_parallel_requests = 1;
  EXPECT_TRUE(lim->admit(k, credential_label::none, false, t0).shared_slot);
  EXPECT_FALSE(lim->shared_degraded());
}

TEST(redis_limiter, round_trip_cost_of_one_admit) {
  auto& r = shared_redis();
  auto lim = make_redis_limiter(options(r, "cost"));
  auto k = std::make_shared<auth::key_record>(key("pat"));
  k->rpm_limit = 1'000'000;
  k->tpm_limit = 1'000'000;
  k->max_parallel_requests = 1'000'000;
  constexpr int n = 10'000;
  std::cout << "checks: 10k sequential admit_async round trips all admitted (prints the mean; no threshold)\n";
  std::atomic<int> ok{0};
  auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    auto done = std::make_shared<std::promise<void>>();
    auto answered_one = done->get_future();
    lim->admit_async(k, credential_label::none, false, t0 + i, [&ok, done](admission a) {
      ok += a.refused == refusal::none;
      done->set_value();
    });
    answered_one.wait();
  }
  auto sequential = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(ok.load(), n);
  std::atomic<int> answered{0};
  begin = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i)
    lim->admit_async(k, credential_label::none, false, t0 + n + i, [&](admission) { ++answered; });
  ASSERT_TRUE(eventually([&] { return answered.load() == n; }));
  auto pipelined = std::chrono::steady_clock::now() - begin;
  using us = std::chrono::duration<double, std::micro>;
  std::cout << "measured: sequential admit_async round trip " << us(sequential).count() / n
            << " us mean; 10k queued at once (pipelined) " << us(pipelined).count() / n << " us per admit\n";
}

}  // namespace
}  // namespace passgate::limits

// The in-process limiter: a map of key id to counters under one mutex.
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <mutex>
#include <unordered_map>

#include "limits/budget_period.hpp"
#include "limits/limiter.hpp"
#include "limits/sliding_window.hpp"

namespace passgate::limits {

std::string_view to_string(refusal r) {
  switch (r) {
    case refusal::none: return "none";
    case refusal::budget: return "budget";
    case refusal::rpm: return "rpm";
    case refusal::tpm: return "tpm";
    case refusal::parallel: return "parallel";
  }
  return "none";
}

namespace {

std::string iso_utc(std::int64_t ms) {
  std::time_t t = ms / 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Dollars for a person: cents, or more digits for budgets under a cent.
std::string usd(double v) { return v >= 0.01 || v == 0 ? fmt::format("${:.2f}", v) : fmt::format("${:.6f}", v); }

// Whole seconds, rounded up, within the 1–60 s a rate limit can ask for.
std::int64_t rate_retry_s(std::int64_t ms) { return std::clamp<std::int64_t>((ms + 999) / 1000, 1, 60); }

struct key_state {
  sliding_window requests;
  sliding_window tokens;
  std::int64_t in_flight = 0;
  // The budget as last seeded: its period, the kinds it counts, the window now
  // and what was spent in it. Only needs_seed()/seed_budget() (the key cache's
  // thread, before new records are live) change the period or the kinds, so an
  // older record still in flight cannot reset what a newer one counts.
  bool have_budget = false;
  budget_period period;
  policy::label_set labels = policy::label_set::all();
  period_window window;
  bool seeded = false;
  double spend = 0;
};

class local_limiter final : public limiter {
 public:
  admission admit(const auth::key_record& key, policy::credential_label label, bool budget_exempt,
                  std::int64_t now_ms) override {
    admission a;
    std::lock_guard lock(mu_);
    auto& s = states_[key.key_id];
    const std::string& who = key.key_alias.empty() ? key.key_id : key.key_alias;

    if (key.max_budget && !budget_exempt) prepare(s, key, now_ms);
    if (key.max_budget && !budget_exempt && s.labels.contains(label)) {
      if (s.spend >= *key.max_budget) {
        a.refused = refusal::budget;
        a.retry_after_s = s.window.reset_ms ? std::max<std::int64_t>(1, (*s.window.reset_ms - now_ms + 999) / 1000) : 0;
        a.message = fmt::format("budget of {} for key '{}' spent ({} {}; {})", usd(*key.max_budget), who,
                                usd(s.spend), s.window.reset_ms ? "this period" : "in all",
                                s.window.reset_ms ? "resets " + iso_utc(*s.window.reset_ms) : std::string("it does not reset"));
        return a;
      }
    }
    if (key.rpm_limit) {
      a.rpm_limit = *key.rpm_limit;
      auto used = s.requests.used(now_ms);
      if (used >= *key.rpm_limit) {
        a.refused = refusal::rpm;
        a.rpm_remaining = 0;
        a.retry_after_s = rate_retry_s(s.requests.ms_until_below(now_ms, *key.rpm_limit));
        a.message = fmt::format("rate limit of {} requests per minute for key '{}' reached; retry in {} s",
                                *key.rpm_limit, who, a.retry_after_s);
        fill_tokens(a, s, key, now_ms);
        return a;
      }
    }
    if (key.tpm_limit) {
      a.tpm_limit = *key.tpm_limit;
      if (s.tokens.used(now_ms) >= *key.tpm_limit) {
        a.refused = refusal::tpm;
        a.tpm_remaining = 0;
        a.retry_after_s = rate_retry_s(s.tokens.ms_until_below(now_ms, *key.tpm_limit));
        a.message = fmt::format("rate limit of {} tokens per minute for key '{}' reached; retry in {} s",
                                *key.tpm_limit, who, a.retry_after_s);
        if (key.rpm_limit) a.rpm_remaining = std::max<std::int64_t>(0, *key.rpm_limit - s.requests.used(now_ms));
        return a;
      }
    }
    if (key.max_parallel_requests && s.in_flight >= *key.max_parallel_requests) {
      a.refused = refusal::parallel;
      a.retry_after_s = 1;
      a.message = fmt::format("key '{}' already has {} request(s) in flight, its limit; retry when one ends", who,
                              s.in_flight);
      return a;
    }
    // Admitted.
    if (key.rpm_limit) {
      s.requests.add(now_ms, 1);
      a.rpm_remaining = std::max<std::int64_t>(0, *key.rpm_limit - s.requests.used(now_ms));
    }
    fill_tokens(a, s, key, now_ms);
    if (key.max_parallel_requests) {
      ++s.in_flight;
      a.holds_parallel = true;
    }
    return a;
  }

  void release_parallel(const auth::key_record& key) override {
    std::lock_guard lock(mu_);
    auto it = states_.find(key.key_id);
    if (it != states_.end() && it->second.in_flight > 0) --it->second.in_flight;
  }

  void charge(const auth::key_record& key, policy::credential_label label, std::int64_t tokens, double cost_usd,
              std::int64_t now_ms) override {
    std::lock_guard lock(mu_);
    auto& s = states_[key.key_id];
    if (key.tpm_limit && tokens > 0) s.tokens.add(now_ms, tokens);
    if (key.max_budget && cost_usd > 0) {
      prepare(s, key, now_ms);
      if (s.labels.contains(label)) s.spend += cost_usd;
    }
  }

  void seed_budget(const auth::key_record& key, std::int64_t period_start_ms, double spend) override {
    std::lock_guard lock(mu_);
    auto& s = states_[key.key_id];
    auto period = period_of(key.budget_duration);
    auto window = window_at(period, period_start_ms);
    if (window.start_ms != period_start_ms) return;  // not the start of a window of this period
    const bool same = s.have_budget && s.seeded && s.period == period && s.labels == key.budget_credentials &&
                      s.window.start_ms == window.start_ms;
    if (same) {
      s.spend = std::max(s.spend, spend);  // never lower what this process counted
      return;
    }
    s.have_budget = true;
    s.period = period;
    s.labels = key.budget_credentials;
    s.window = window;
    s.spend = spend;
    s.seeded = true;
  }

  bool needs_seed(const auth::key_record& key, std::int64_t now_ms) override {
    std::lock_guard lock(mu_);
    if (!key.max_budget) {
      // Spend made while a key has no budget is not counted here: a budget set
      // again later must be read back from the store.
      if (auto it = states_.find(key.key_id); it != states_.end()) it->second.seeded = false;
      return false;
    }
    auto& s = states_[key.key_id];
    roll(s, now_ms);
    auto period = period_of(key.budget_duration);
    return !s.seeded || !s.have_budget || s.period != period || s.labels != key.budget_credentials;
  }

 private:
  // The budget state for a request: set up from the record the first time (a
  // key whose budget is not seeded yet counts from zero), then moved to the
  // window that contains now_ms: a new window starts at zero, exactly, since
  // nothing of it can be in the store yet.
  static void prepare(key_state& s, const auth::key_record& key, std::int64_t now_ms) {
    if (!s.have_budget) {
      s.have_budget = true;
      s.period = period_of(key.budget_duration);
      s.labels = key.budget_credentials;
      s.window = window_at(s.period, now_ms);
      s.spend = 0;
      s.seeded = false;
    }
    roll(s, now_ms);
  }
  static void roll(key_state& s, std::int64_t now_ms) {
    if (s.have_budget && s.window.reset_ms && now_ms >= *s.window.reset_ms) {
      s.window = window_at(s.period, now_ms);
      s.spend = 0;
    }
  }

  static void fill_tokens(admission& a, key_state& s, const auth::key_record& key, std::int64_t now_ms) {
    if (!key.tpm_limit) return;
    a.tpm_limit = *key.tpm_limit;
    a.tpm_remaining = std::max<std::int64_t>(0, *key.tpm_limit - s.tokens.used(now_ms));
  }

  std::mutex mu_;
  std::unordered_map<std::string, key_state> states_;
};

}  // namespace

std::unique_ptr<limiter> make_local_limiter() { return std::make_unique<local_limiter>(); }

}  // namespace passgate::limits

// The in-process limiter: a map of key id to counters under one mutex. Its
// refusals are worded in refusal_text.cpp, shared with the Redis backend.
#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "limits/budget_period.hpp"
#include "limits/limiter.hpp"
#include "limits/refusal_text.hpp"
#include "limits/sliding_window.hpp"

namespace passgate::limits {

namespace {

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

    if (key.max_budget && !budget_exempt) prepare(s, key, now_ms);
    if (key.max_budget && !budget_exempt && s.labels.contains(label)) {
      if (s.spend >= *key.max_budget) {
        refuse_budget(a, key, s.spend, s.window.reset_ms, now_ms);
        return a;
      }
    }
    if (key.rpm_limit) {
      a.rpm_limit = *key.rpm_limit;
      auto used = s.requests.used(now_ms);
      if (used >= *key.rpm_limit) {
        refuse_rpm(a, key, s.requests.ms_until_below(now_ms, *key.rpm_limit));
        a.rpm_remaining = 0;
        fill_tokens(a, s, key, now_ms);
        return a;
      }
    }
    if (key.tpm_limit) {
      a.tpm_limit = *key.tpm_limit;
      if (s.tokens.used(now_ms) >= *key.tpm_limit) {
        refuse_tpm(a, key, s.tokens.ms_until_below(now_ms, *key.tpm_limit));
        a.tpm_remaining = 0;
        if (key.rpm_limit) a.rpm_remaining = std::max<std::int64_t>(0, *key.rpm_limit - s.requests.used(now_ms));
        return a;
      }
    }
    if (key.max_parallel_requests && s.in_flight >= *key.max_parallel_requests) {
      refuse_parallel(a, key, s.in_flight);
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

  void release_parallel(const auth::key_record& key, const admission&) override {
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

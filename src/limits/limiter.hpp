#pragma once
// Governance of one request: admitted against its key's budget, rpm, tpm and
// parallel slots before it is forwarded, charged its tokens and cost after the
// answer. The interface is what a shared backend (Redis) implements too; the
// local one keeps the counters in this process.
//
// Keys without limits pay nothing: the relay asks has_limits() (a few loads)
// and never calls the limiter for them.
//
// What each limit counts, and how far it can be overshot:
// - rpm_limit: requests admitted in the last 60 s, an exact sliding window
//   (sliding_window.hpp): never more than the limit in any 60 s.
// - tpm_limit: input + cache-creation + output tokens of answers charged in the
//   last 60 s (cache reads do not count, as in Anthropic's own limits). Tokens are
//   known only after an answer, so a request is admitted while the window is under
//   the limit: the overshoot is what requests in flight at that moment use.
// - max_budget: the cost charged in the current budget period for the credential
//   kinds in budget_credentials; refused once spend >= budget. Likewise, the
//   overshoot is the cost of requests already in flight when it was crossed
//   (at most max_parallel_requests of them where that is set).
// - max_parallel_requests: requests admitted and not yet ended.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/key_record.hpp"
#include "policy/credential_label.hpp"

namespace passgate::limits {

// unavailable: a shared backend could not be asked and limits.on_shared_error
// is deny (the request is answered 503, never forwarded unchecked).
enum class refusal { none, budget, rpm, tpm, parallel, unavailable };
std::string_view to_string(refusal r);

struct admission {
  refusal refused = refusal::none;
  std::int64_t retry_after_s = 0;  // 0: send no retry-after (a budget that never resets)
  std::string message;             // for a person: which limit, how far, when it resets
  bool holds_parallel = false;     // call release_parallel() when the request ends
  // Which slot, for a backend that tells slots apart (the shared one: its own id
  // of the slot, and whether the slot is held there or in its local fallback).
  std::uint64_t parallel_slot = 0;
  bool shared_slot = false;
  // For the x-ratelimit-* headers of keys with rpm/tpm limits.
  std::optional<std::int64_t> rpm_limit, rpm_remaining, tpm_limit, tpm_remaining;
};

// Whether a key has anything to enforce.
inline bool has_limits(const auth::key_record& k) {
  return k.max_budget || k.rpm_limit || k.tpm_limit || k.max_parallel_requests;
}

using admit_callback = std::function<void(admission)>;

class limiter {
 public:
  virtual ~limiter() = default;
  // budget_exempt: the request costs nothing by its nature (count_tokens).
  // May wait for a round trip when remote(): I/O threads use admit_async then.
  virtual admission admit(const auth::key_record& key, policy::credential_label label, bool budget_exempt,
                          std::int64_t now_ms) = 0;
  // The same answer, given to `done` exactly once, on any thread (the calling
  // one, before this returns, when the answer needs no round trip). The key is
  // held until then.
  virtual void admit_async(std::shared_ptr<const auth::key_record> key, policy::credential_label label,
                           bool budget_exempt, std::int64_t now_ms, admit_callback done) {
    done(admit(*key, label, budget_exempt, now_ms));
  }
  // Whether admit() may wait on the network (a shared backend).
  virtual bool remote() const { return false; }
  // Never blocks (a shared backend queues it).
  virtual void release_parallel(const auth::key_record& key, const admission& held) = 0;
  // After the answer: tokens toward tpm; cost toward the budget when the label
  // counts. Never blocks (a shared backend queues it).
  virtual void charge(const auth::key_record& key, policy::credential_label label, std::int64_t tokens,
                      double cost_usd, std::int64_t now_ms) = 0;
  // Spend already in the store for the period that starts at period_start_ms (at
  // start-up, or when a key gains a budget). Never lowers what was counted here.
  virtual void seed_budget(const auth::key_record& key, std::int64_t period_start_ms, double spend) = 0;
  // Whether seed_budget() is wanted for this key's current period.
  virtual bool needs_seed(const auth::key_record& key, std::int64_t now_ms) = 0;

  // For /metrics: failed round trips to a shared backend, and whether it is
  // being worked around now (local counting or refusing, per on_shared_error).
  virtual std::uint64_t shared_errors() const { return 0; }
  virtual bool shared_degraded() const { return false; }
};

// Counters in this process, one lock; cheap enough for keys that have limits.
std::unique_ptr<limiter> make_local_limiter();

}  // namespace passgate::limits

// The Redis limiter: request planning on the caller's thread (key names and
// arguments, the budget's period as this process last seeded it), one client
// thread that pipelines the scripts, and the fallback while Redis is away.
#include "limits/redis_limiter.hpp"

#include <spdlog/fmt/fmt.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "limits/budget_period.hpp"
#include "limits/redis_connection.hpp"
#include "limits/redis_scripts.hpp"
#include "limits/refusal_text.hpp"
#include "limits/sliding_window.hpp"

namespace passgate::limits {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t window_ms = sliding_window::span_ms;
// Keys outlive what they hold by a margin, so that the skew between the
// gateways' clocks (scores) and Redis's (TTLs) never drops a live entry.
constexpr std::int64_t window_ttl_ms = window_ms + 60'000;
constexpr std::int64_t budget_ttl_margin_ms = 3'600'000;
// Releases of shared slots kept while Redis is away; past that the lease frees them.
constexpr std::size_t max_pending_releases = 65'536;
constexpr auto first_backoff = 100ms;
constexpr auto max_backoff = 5s;

enum class script_id { admit, charge, release, seed };
constexpr std::string_view script_texts[] = {redis_scripts::admit, redis_scripts::charge, redis_scripts::release,
                                             redis_scripts::seed};
constexpr std::size_t script_count = std::size(script_texts);

struct job {
  script_id script;
  std::vector<std::string> argv;  // "EVALSHA", (the sha, set when sent), numkeys, keys…, args…
  // Called once from the client thread (or the caller's, when it was never
  // queued); nullptr: Redis gave no usable answer.
  std::function<void(const redis_reply*)> finish;
};

std::string labels_tag(policy::label_set s) {
  unsigned bits = 0;
  for (std::size_t i = 0; i < std::size(policy::all_labels); ++i)
    if (s.contains(policy::all_labels[i])) bits |= 1u << i;
  return std::to_string(bits);
}

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::int64_t> integer_at(const redis_reply& r, std::size_t i) {
  if (i >= r.elements.size() || r.elements[i].k != redis_reply::kind::integer) return std::nullopt;
  return r.elements[i].integer;
}

class redis_limiter final : public limiter {
 public:
  redis_limiter(redis_options o, redis_target t)
      : opts_(std::move(o)), target_(std::move(t)), local_(make_local_limiter()) {
    thread_ = std::thread([this] { run(); });
  }

  // Queued charges and releases go out if Redis is up (each read bounded by the
  // timeout); every queued admit is answered.
  ~redis_limiter() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  bool remote() const override { return true; }
  std::uint64_t shared_errors() const override { return errors_.load(); }
  bool shared_degraded() const override { return down_.load(); }

  admission admit(const auth::key_record& key, policy::credential_label label, bool budget_exempt,
                  std::int64_t now_ms) override {
    if (std::this_thread::get_id() == thread_.get_id())
      throw std::logic_error("redis limiter: admit() from its own client thread would wait for itself");
    // Shared: the client thread may still be inside set_value() when get() returns.
    auto answer = std::make_shared<std::promise<admission>>();
    auto got = answer->get_future();
    // Not owning: this waits for the answer, so the key outlives the job.
    std::shared_ptr<const auth::key_record> borrowed(std::shared_ptr<const auth::key_record>(), &key);
    admit_async(std::move(borrowed), label, budget_exempt, now_ms,
                [answer](admission a) { answer->set_value(std::move(a)); });
    return got.get();
  }

  void admit_async(std::shared_ptr<const auth::key_record> key, policy::credential_label label, bool budget_exempt,
                   std::int64_t now_ms, admit_callback done) override {
    const auth::key_record& k = *key;
    std::optional<std::int64_t> reset_ms;
    bool check_budget = false;
    std::string budget_key = key_name(k, "budget");
    if (k.max_budget && !budget_exempt) {
      auto [period, labels] = budget_view(k);
      if (labels.contains(label)) {
        auto window = window_at(period, now_ms);
        check_budget = true;
        reset_ms = window.reset_ms;
        budget_key = spend_key(k, period, labels, window.start_ms);
      }
    }
    auto opt = [](const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : std::string(); };
    const std::int64_t lease_ms = std::chrono::milliseconds(opts_.parallel_lease).count();
    job j{script_id::admit,
          {"EVALSHA", "", "6", budget_key, key_name(k, "rpm"), key_name(k, "tpm"), key_name(k, "tpm_sum"),
           key_name(k, "par"), key_name(k, "seq"), std::to_string(now_ms), check_budget ? "1" : "0",
           check_budget ? fmt::format("{}", *k.max_budget) : std::string(), opt(k.rpm_limit), opt(k.tpm_limit),
           opt(k.max_parallel_requests), std::to_string(now_ms - window_ms), std::to_string(now_ms - lease_ms),
           std::to_string(window_ttl_ms), std::to_string(lease_ms + 60'000), std::to_string(sequence_ttl_ms())},
          {}};
    j.finish = [this, key = std::move(key), label, budget_exempt, now_ms, reset_ms,
                done = std::move(done)](const redis_reply* r) {
      admission a;
      if (!r || !read_admission(*r, *key, now_ms, reset_ms, a)) a = fallback_admit(*key, label, budget_exempt, now_ms);
      done(std::move(a));
    };
    if (!enqueue(j)) j.finish(nullptr);  // Redis is away: answered now, here
  }

  void release_parallel(const auth::key_record& key, const admission& held) override {
    if (!held.holds_parallel) return;
    if (!held.shared_slot) {
      local_->release_parallel(key, held);  // taken while Redis was away
      return;
    }
    job j{script_id::release, {"EVALSHA", "", "1", key_name(key, "par"), std::to_string(held.parallel_slot)}, {}};
    j.finish = [this, argv = j.argv](const redis_reply* r) {
      if (!r && down_) keep_release(job{script_id::release, argv, {}});
    };
    if (!enqueue(j)) keep_release(std::move(j));
  }

  void charge(const auth::key_record& key, policy::credential_label label, std::int64_t tokens, double cost_usd,
              std::int64_t now_ms) override {
    // The fallback's counters stay warm, so an outage does not start it from zero.
    local_->charge(key, label, tokens, cost_usd, now_ms);
    const bool count_tokens = key.tpm_limit && tokens > 0;
    std::string budget_key = key_name(key, "budget"), cost, ttl;
    if (key.max_budget && cost_usd > 0) {
      auto [period, labels] = budget_view(key);
      if (labels.contains(label)) {
        auto window = window_at(period, now_ms);
        budget_key = spend_key(key, period, labels, window.start_ms);
        cost = fmt::format("{}", cost_usd);
        if (window.reset_ms) ttl = std::to_string(*window.reset_ms - now_ms + budget_ttl_margin_ms);
      }
    }
    if (!count_tokens && cost.empty()) return;
    job j{script_id::charge,
          {"EVALSHA", "", "4", key_name(key, "tpm"), key_name(key, "tpm_sum"), key_name(key, "seq"), budget_key,
           std::to_string(now_ms), count_tokens ? std::to_string(tokens) : std::string(),
           std::to_string(now_ms - window_ms), std::to_string(window_ttl_ms), std::to_string(sequence_ttl_ms()), cost,
           ttl},
          {}};
    // Lost if Redis is away: tpm forgets a minute at most, and budgets are
    // seeded again from the store once it is back.
    enqueue(j);
  }

  void seed_budget(const auth::key_record& key, std::int64_t period_start_ms, double spend) override {
    local_->seed_budget(key, period_start_ms, spend);
    auto period = period_of(key.budget_duration);
    auto window = window_at(period, period_start_ms);
    if (window.start_ms != period_start_ms) return;  // not the start of a window of this period
    std::string ttl;
    if (window.reset_ms)
      ttl = std::to_string(std::max<std::int64_t>(0, *window.reset_ms - unix_ms_now()) + budget_ttl_margin_ms);
    auto sent = std::make_shared<std::promise<bool>>();
    auto ok = sent->get_future();
    job j{script_id::seed,
          {"EVALSHA", "", "1", spend_key(key, period, key.budget_credentials, window.start_ms),
           fmt::format("{}", spend), ttl},
          [sent](const redis_reply* r) { sent->set_value(r != nullptr); }};
    if (std::this_thread::get_id() == thread_.get_id() || !enqueue(j)) j.finish(nullptr);
    const bool seeded = ok.get();
    std::lock_guard lock(budget_mu_);
    auto& s = budgets_[key.key_id];
    s.have = true;
    s.period = period;
    s.labels = key.budget_credentials;
    s.seeded = seeded;  // not in Redis: wanted again (the local fallback has it)
  }

  bool needs_seed(const auth::key_record& key, std::int64_t now_ms) override {
    const bool local_wants = local_->needs_seed(key, now_ms);
    std::lock_guard lock(budget_mu_);
    if (!key.max_budget) {
      // Spend made while a key has no budget is not counted: a budget set again
      // later must be read back from the store.
      if (auto it = budgets_.find(key.key_id); it != budgets_.end()) it->second.seeded = false;
      return false;
    }
    auto& s = budgets_[key.key_id];
    return local_wants || !s.have || !s.seeded || s.period != period_of(key.budget_duration) ||
           s.labels != key.budget_credentials;
  }

 private:
  // A key's budget as this process counts it: the period and kinds last seeded
  // (as local_limiter: only seeding changes them, so a request still holding an
  // older record charges what the newer one counts), else the record's.
  struct budget_state {
    bool have = false;
    budget_period period;
    policy::label_set labels = policy::label_set::all();
    bool seeded = false;
  };

  std::pair<budget_period, policy::label_set> budget_view(const auth::key_record& key) {
    std::lock_guard lock(budget_mu_);
    auto& s = budgets_[key.key_id];
    if (!s.have) {
      s.have = true;
      s.period = period_of(key.budget_duration);
      s.labels = key.budget_credentials;
    }
    return {s.period, s.labels};
  }

  std::string key_name(const auth::key_record& key, std::string_view what) const {
    return fmt::format("{}{{{}}}:{}", opts_.key_prefix, key.key_id, what);
  }
  // One counter per period kind, credential kinds and window: a new window, or
  // a budget redefined, starts from its own key (seeded from the store).
  std::string spend_key(const auth::key_record& key, const budget_period& p, policy::label_set labels,
                        std::int64_t start_ms) const {
    return fmt::format("{}{{{}}}:budget:{}.{}:{}:{}", opts_.key_prefix, key.key_id, int(p.k), p.length_s,
                       labels_tag(labels), start_ms);
  }
  // Ids must stay unique while anything holding one lives (slots: the lease).
  std::int64_t sequence_ttl_ms() const {
    return std::max<std::int64_t>(std::chrono::milliseconds(opts_.parallel_lease).count(), window_ms) + 120'000;
  }

  bool read_admission(const redis_reply& r, const auth::key_record& key, std::int64_t now_ms,
                      std::optional<std::int64_t> reset_ms, admission& a) {
    auto status = integer_at(r, 0);
    if (r.k != redis_reply::kind::array || !status) return bad_reply();
    auto remaining = [](std::int64_t limit, std::int64_t used) { return std::max<std::int64_t>(0, limit - used); };
    switch (*status) {
      case 0: {
        auto rpm = integer_at(r, 1), tpm = integer_at(r, 2), slot = integer_at(r, 3);
        if (!rpm || !tpm || !slot) return bad_reply();
        if (key.rpm_limit) {
          a.rpm_limit = key.rpm_limit;
          a.rpm_remaining = remaining(*key.rpm_limit, *rpm);
        }
        if (key.tpm_limit) {
          a.tpm_limit = key.tpm_limit;
          a.tpm_remaining = remaining(*key.tpm_limit, *tpm);
        }
        if (key.max_parallel_requests) {
          a.holds_parallel = true;
          a.shared_slot = true;
          a.parallel_slot = std::uint64_t(*slot);
        }
        return true;
      }
      case 1: {
        if (r.elements.size() < 2 || r.elements[1].k != redis_reply::kind::string) return bad_reply();
        refuse_budget(a, key, std::strtod(r.elements[1].str.c_str(), nullptr), reset_ms, now_ms);
        return true;
      }
      case 2: {
        auto wait = integer_at(r, 1), tpm = integer_at(r, 2);
        if (!wait || !tpm) return bad_reply();
        a.rpm_limit = key.rpm_limit;
        refuse_rpm(a, key, *wait);
        a.rpm_remaining = 0;
        if (key.tpm_limit) {
          a.tpm_limit = key.tpm_limit;
          a.tpm_remaining = remaining(*key.tpm_limit, *tpm);
        }
        return true;
      }
      case 3: {
        auto wait = integer_at(r, 1), rpm = integer_at(r, 2);
        if (!wait || !rpm) return bad_reply();
        if (key.rpm_limit) {
          a.rpm_limit = key.rpm_limit;
          a.rpm_remaining = remaining(*key.rpm_limit, *rpm);
        }
        a.tpm_limit = key.tpm_limit;
        refuse_tpm(a, key, *wait);
        a.tpm_remaining = 0;
        return true;
      }
      case 4: {
        auto n = integer_at(r, 1);
        if (!n) return bad_reply();
        a.rpm_limit = key.rpm_limit;
        a.tpm_limit = key.tpm_limit;
        refuse_parallel(a, key, *n);
        return true;
      }
      default: return bad_reply();
    }
  }
  bool bad_reply() {
    ++errors_;
    spdlog::warn("limits: unexpected reply from the shared limits store {}", target_.display);
    return false;
  }

  admission fallback_admit(const auth::key_record& key, policy::credential_label label, bool budget_exempt,
                           std::int64_t now_ms) {
    if (opts_.on_shared_error == redis_options::on_error::deny) {
      admission a;
      refuse_unavailable(a);
      return a;
    }
    return local_->admit(key, label, budget_exempt, now_ms);  // shared_slot stays false
  }

  // Takes the job unless Redis is away or this is stopping (then it is left to the caller).
  bool enqueue(job& j) {
    {
      std::lock_guard lock(mu_);
      if (down_ || stopping_) return false;
      queue_.push_back(std::move(j));
    }
    cv_.notify_one();
    return true;
  }
  // A release that could not be sent: sent once Redis is back (releasing twice is harmless).
  void keep_release(job j) {
    std::lock_guard lock(mu_);
    if (!stopping_ && pending_releases_.size() < max_pending_releases) pending_releases_.push_back(std::move(j));
  }

  static void finish(job& j, const redis_reply* r) {
    if (!j.finish) return;
    try {
      j.finish(r);
    } catch (const std::exception& e) {
      spdlog::error("limits: a limiter callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("limits: a limiter callback threw");
    }
  }

  // The client thread.
  void run() {
    // hiredis writes with write(): a server gone away must be an EPIPE error on
    // this thread, not a SIGPIPE that ends the process.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    auto backoff = std::chrono::milliseconds(first_backoff);
    for (;;) {
      if (!conn_) {
        {
          std::lock_guard lock(mu_);
          if (stopping_) break;
        }
        try {
          connect();
          backoff = first_backoff;
        } catch (const std::exception& e) {
          fail_all(went_down(e.what()));
          std::unique_lock lock(mu_);
          cv_.wait_for(lock, backoff, [this] { return stopping_; });
          backoff = std::min<std::chrono::milliseconds>(backoff * 2, max_backoff);
          continue;
        }
      }
      std::vector<job> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty() || !pending_releases_.empty(); });
        batch.swap(queue_);
        std::move(pending_releases_.begin(), pending_releases_.end(), std::back_inserter(batch));
        pending_releases_.clear();
        if (batch.empty()) break;  // stopping, and everything was sent
      }
      send(batch);
    }
    // Stopped (and Redis away, or everything sent): answer what is left.
    std::vector<job> rest;
    {
      std::lock_guard lock(mu_);
      rest.swap(queue_);
      pending_releases_.clear();
    }
    fail_all(std::move(rest));
    conn_.reset();
  }

  void connect() {
    auto c = std::make_unique<redis_connection>(target_, opts_.timeout);
    load_scripts(*c);
    conn_ = std::move(c);
    bool was_down;
    {
      std::lock_guard lock(mu_);
      was_down = down_;
      down_ = false;
    }
    if (was_down) {
      spdlog::info("limits: the shared limits store {} is reachable again; counting there", target_.display);
      // Its counters may have restarted empty, and spend charged meanwhile went
      // to the local fallback only: read budgets back from the store.
      {
        std::lock_guard lock(budget_mu_);
        for (auto& [id, s] : budgets_) s.seeded = false;
      }
      // Whoever seeds budgets (the key cache's publish) should do so now, not at
      // the next key change.
      if (opts_.on_reconnect) opts_.on_reconnect();
    }
  }

  void load_scripts(redis_connection& c) {
    for (std::size_t i = 0; i < script_count; ++i) {
      auto r = c.call({"SCRIPT", "LOAD", std::string(script_texts[i])});
      if (r.k != redis_reply::kind::string) throw redis_error("SCRIPT LOAD refused: " + r.str);
      shas_[i] = r.str;
    }
  }

  // Marks the outage (one warning for it) and takes what was queued behind.
  std::vector<job> went_down(std::string_view why) {
    ++errors_;
    conn_.reset();
    std::vector<job> queued;
    bool first = false;
    {
      std::lock_guard lock(mu_);
      first = !down_;
      down_ = true;
      queued.swap(queue_);
    }
    if (first)
      spdlog::warn("limits: the shared limits store {} cannot be reached ({}); {} until it is back", target_.display,
                   why,
                   opts_.on_shared_error == redis_options::on_error::deny ? "refusing requests of keys with limits"
                                                                          : "counting in this gateway alone");
    return queued;
  }
  static void fail_all(std::vector<job> jobs) {
    for (auto& j : jobs) finish(j, nullptr);
  }

  // One pipeline: every command appended, then every reply read in order. A
  // script unknown to the server (restarted, SCRIPT FLUSH) is loaded again and
  // its jobs sent once more.
  void send(std::vector<job>& batch) {
    std::vector<redis_reply> replies(batch.size());
    std::vector<bool> answered(batch.size(), false);
    std::vector<std::size_t> retry;
    try {
      for (auto& j : batch) {
        j.argv[1] = shas_[std::size_t(j.script)];
        conn_->append(j.argv);
      }
      for (std::size_t i = 0; i < batch.size(); ++i) {
        replies[i] = conn_->read();
        if (replies[i].is_error() && replies[i].str.starts_with("NOSCRIPT")) retry.push_back(i);
        else answered[i] = true;
      }
      if (!retry.empty()) {
        load_scripts(*conn_);
        for (auto i : retry) {
          batch[i].argv[1] = shas_[std::size_t(batch[i].script)];
          conn_->append(batch[i].argv);
        }
        for (auto i : retry) {
          replies[i] = conn_->read();
          answered[i] = true;
        }
      }
    } catch (const std::exception& e) {
      // Jobs with a reply get it; the rest (and whatever queued meanwhile) the fallback.
      auto queued = went_down(e.what());
      for (std::size_t i = 0; i < batch.size(); ++i) deliver(batch[i], answered[i] ? &replies[i] : nullptr);
      fail_all(std::move(queued));
      return;
    }
    for (std::size_t i = 0; i < batch.size(); ++i) deliver(batch[i], &replies[i]);
  }

  void deliver(job& j, const redis_reply* r) {
    if (r && r->is_error()) {
      ++errors_;
      // Rare (out of memory, a script error): at most one line every 10 s.
      auto now = std::chrono::steady_clock::now();
      if (now - last_reply_warning_ > 10s) {
        last_reply_warning_ = now;
        spdlog::warn("limits: the shared limits store {} refused a script: {}", target_.display, r->str);
      }
      r = nullptr;
    }
    finish(j, r);
  }

  const redis_options opts_;
  const redis_target target_;
  const std::unique_ptr<limiter> local_;  // the fallback for on_error::local

  std::mutex mu_;  // the queue and the state below
  std::condition_variable cv_;
  std::vector<job> queue_;
  std::vector<job> pending_releases_;
  bool stopping_ = false;
  std::atomic<bool> down_{false};  // written under mu_; read without it for metrics
  std::atomic<std::uint64_t> errors_{0};

  std::mutex budget_mu_;
  std::unordered_map<std::string, budget_state> budgets_;

  // The client thread's alone.
  std::unique_ptr<redis_connection> conn_;
  std::string shas_[script_count];
  std::chrono::steady_clock::time_point last_reply_warning_{};

  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace

std::unique_ptr<limiter> make_redis_limiter(redis_options options) {
  auto target = parse_redis_url(options.url);
  if (options.timeout <= std::chrono::milliseconds::zero())
    throw std::invalid_argument("limits: the Redis timeout must be positive");
  if (options.parallel_lease <= std::chrono::seconds::zero())
    throw std::invalid_argument("limits: the parallel lease must be positive");
  return std::make_unique<redis_limiter>(std::move(options), std::move(target));
}

}  // namespace passgate::limits

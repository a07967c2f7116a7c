#pragma once
// An exact sliding window over the last 60 seconds: a log of (time, amount)
// entries and their running sum. Exact means no burst at a window edge: in any
// 60 s the amounts admitted add up to at most the limit (plus, for tokens, what
// requests already in flight used; see limiter.hpp). It costs one entry per
// request while the entry is younger than a minute, so memory follows the
// key's actual rate (bounded by rpm_limit where one is set).
#include <cstdint>
#include <deque>

namespace passgate::limits {

class sliding_window {
 public:
  static constexpr std::int64_t span_ms = 60'000;

  // The sum of amounts added in (now - 60 s, now].
  std::int64_t used(std::int64_t now_ms) {
    expire(now_ms);
    return sum_;
  }
  void add(std::int64_t now_ms, std::int64_t amount) {
    expire(now_ms);
    if (amount <= 0) return;
    if (!log_.empty() && log_.back().at_ms == now_ms) log_.back().amount += amount;
    else log_.push_back({now_ms, amount});
    sum_ += amount;
  }
  // Milliseconds until used() drops below `limit` (0: it already is).
  std::int64_t ms_until_below(std::int64_t now_ms, std::int64_t limit) {
    expire(now_ms);
    std::int64_t sum = sum_;
    for (const auto& e : log_) {
      if (sum < limit) break;
      sum -= e.amount;
      if (sum < limit) return e.at_ms + span_ms - now_ms;
    }
    return 0;
  }

 private:
  struct entry {
    std::int64_t at_ms;
    std::int64_t amount;
  };
  void expire(std::int64_t now_ms) {
    while (!log_.empty() && log_.front().at_ms <= now_ms - span_ms) {
      sum_ -= log_.front().amount;
      log_.pop_front();
    }
  }
  std::deque<entry> log_;
  std::int64_t sum_ = 0;
};

}  // namespace passgate::limits

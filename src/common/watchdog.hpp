#pragma once
// One coarse timer per I/O thread instead of a timer per operation: each session
// keeps a single deadline, pushed forward before every await, and the watchdog's
// periodic tick calls on_deadline() for those that passed. Arming costs one store,
// not a timer-queue update and a timerfd_settime (see shared/PERFORMANCE.md).
#include <chrono>

#include <boost/asio/steady_timer.hpp>

#include "common/asio_fwd.hpp"

namespace passgate {

using clock = std::chrono::steady_clock;

// A configured number of seconds (limits are doubles) as a clock duration.
inline clock::duration seconds(double s) {
  return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(s));
}

class watched {
 public:
  virtual ~watched() = default;
  // The deadline passed: cancel what is waiting; the awaiting code sees the abort.
  virtual void on_deadline() = 0;
  // The process is stopping: close if idle between requests.
  virtual void on_drain() = 0;
  // Every tick, for slow work that need not happen per request.
  virtual void on_tick() {}
  // The grace period is over: end whatever is in flight now, through the usual
  // error paths, so that every request is still logged and recorded.
  virtual void on_cut() = 0;

  void expire_after(clock::duration d) { deadline_ = clock::now() + d; }
  void expire_at(clock::time_point t) { deadline_ = t; }
  void disarm() { deadline_ = clock::time_point::max(); }

 private:
  friend class watchdog;
  clock::time_point deadline_ = clock::time_point::max();
  watched* prev_ = nullptr;
  watched* next_ = nullptr;
};

class watchdog {
 public:
  watchdog(asio::io_context& ioc, clock::duration tick) : timer_(ioc), tick_(tick) {}
  void start();
  void stop() { stopped_ = true; timer_.cancel(); }
  void add(watched* w);
  void remove(watched* w);
  // Called on this thread when the process starts draining.
  void drain();
  // Called on this thread when the grace period is over.
  void cut();

 private:
  void arm();
  void check();
  asio::steady_timer timer_;
  clock::duration tick_;
  watched* head_ = nullptr;
  bool stopped_ = false;
};

}  // namespace passgate

#include "common/watchdog.hpp"

namespace passgate {

void watchdog::start() { arm(); }

void watchdog::arm() {
  if (stopped_) return;
  timer_.expires_after(tick_);
  timer_.async_wait([this](error_code ec) {
    if (ec || stopped_) return;
    check();
    arm();
  });
}

void watchdog::check() {
  auto now = clock::now();
  for (watched* w = head_; w;) {
    watched* next = w->next_;  // on_deadline may not unlink, but be safe
    if (w->deadline_ <= now) {
      w->deadline_ = clock::time_point::max();
      w->on_deadline();
    } else {
      w->on_tick();
    }
    w = next;
  }
}

void watchdog::drain() {
  for (watched* w = head_; w;) {
    watched* next = w->next_;
    w->on_drain();
    w = next;
  }
}

void watchdog::cut() {
  for (watched* w = head_; w;) {
    watched* next = w->next_;
    w->on_cut();
    w = next;
  }
}

void watchdog::add(watched* w) {
  w->prev_ = nullptr;
  w->next_ = head_;
  if (head_) head_->prev_ = w;
  head_ = w;
}

void watchdog::remove(watched* w) {
  if (w->prev_) w->prev_->next_ = w->next_;
  else if (head_ == w) head_ = w->next_;
  if (w->next_) w->next_->prev_ = w->prev_;
  w->prev_ = w->next_ = nullptr;
}

}  // namespace passgate

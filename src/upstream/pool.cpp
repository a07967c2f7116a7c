#include "upstream/pool.hpp"

#include <spdlog/spdlog.h>

namespace passgate::upstream {

connection_ptr pool::take(std::size_t upstream) {
  auto& q = idle_[upstream];
  auto now = clock::now();
  while (!q.empty()) {
    connection_ptr c = std::move(q.back());
    q.pop_back();
    bool fresh = now - c->idle_since < max_idle_;
    if (fresh && c->idle_and_open()) return c;
    spdlog::debug("dropping pooled upstream connection: {}", fresh ? "closed or sent data while idle" : "idle too long");
    c->close();
  }
  return nullptr;
}

void pool::put(std::size_t upstream, connection_ptr c) {
  auto& q = idle_[upstream];
  if (max_per_ == 0) return;
  // Drop the stalest first: they are the likeliest to have been closed upstream.
  auto now = clock::now();
  while (!q.empty() && (q.size() >= max_per_ || now - q.front()->idle_since >= max_idle_)) {
    q.front()->close();
    q.pop_front();
  }
  c->idle_since = now;
  q.push_back(std::move(c));
}

}  // namespace passgate::upstream

#pragma once
// Idle upstream connections of one I/O thread, per upstream (route). No locks: a
// connection never leaves its thread. Bounded per upstream; connections idle past
// `max_idle` are dropped before upstreams close them (they often do at 60–75 s).
#include <deque>
#include <vector>

#include "upstream/connection.hpp"

namespace passgate::upstream {

class pool {
 public:
  pool(std::size_t upstreams, std::size_t max_idle_per_upstream, clock::duration max_idle)
      : idle_(upstreams), max_per_(max_idle_per_upstream), max_idle_(max_idle) {}

  // An idle connection known to be open, most recently used first; or null.
  connection_ptr take(std::size_t upstream);
  void put(std::size_t upstream, connection_ptr c);
  void clear() { for (auto& q : idle_) q.clear(); }

 private:
  std::vector<std::deque<connection_ptr>> idle_;
  std::size_t max_per_;
  clock::duration max_idle_;
};

}  // namespace passgate::upstream

// The rate window at its edges: exact, so no burst at a window edge gets more
// than the limit through in any 60 s.
#include <gtest/gtest.h>

#include <iostream>
#include <random>
#include <vector>

#include "limits/sliding_window.hpp"

namespace passgate::limits {
namespace {

TEST(sliding_window, entries_leave_exactly_60_s_later) {
  std::cout << "checks: an entry counts for 60 s and not a millisecond more\n";
  sliding_window w;
  w.add(1000, 1);
  w.add(1500, 2);
  EXPECT_EQ(w.used(1500), 3);
  EXPECT_EQ(w.used(60'999), 3);
  EXPECT_EQ(w.used(61'000), 2);
  EXPECT_EQ(w.used(61'499), 2);
  EXPECT_EQ(w.used(61'500), 0);
}

TEST(sliding_window, time_until_below_a_limit) {
  std::cout << "checks: ms_until_below says when enough entries leave to go under the limit\n";
  sliding_window w;
  w.add(0, 1);
  w.add(10'000, 1);
  w.add(20'000, 1);
  EXPECT_EQ(w.ms_until_below(30'000, 3), 30'000);  // the entry at 0 leaves at 60 s
  EXPECT_EQ(w.ms_until_below(30'000, 2), 40'000);  // two must leave: the second at 70 s
  EXPECT_EQ(w.ms_until_below(30'000, 4), 0);
}

TEST(sliding_window, a_burst_at_the_edge_gets_no_more_than_the_limit_in_any_minute) {
  std::cout << "checks: 20000 random arrivals admitted while under 50: every 60 s span holds at most 50\n";
  std::mt19937 rng(7);
  // Arrivals clustered around minute edges, where a fixed window would let 2x through.
  std::vector<std::int64_t> admitted;
  sliding_window w;
  std::int64_t t = 0;
  for (int i = 0; i < 20000; ++i) {
    t += std::uniform_int_distribution<int>(0, 40)(rng);
    if (i % 500 == 0) t = (t / 60'000 + 1) * 60'000 - 5;  // jump to just before an edge
    if (w.used(t) < 50) {
      w.add(t, 1);
      admitted.push_back(t);
    }
  }
  ASSERT_GT(admitted.size(), 500u);
  std::size_t lo = 0;
  for (std::size_t hi = 0; hi < admitted.size(); ++hi) {
    while (admitted[lo] <= admitted[hi] - 60'000) ++lo;
    ASSERT_LE(hi - lo + 1, 50u) << "at " << admitted[hi];
  }
}

}  // namespace
}  // namespace passgate::limits

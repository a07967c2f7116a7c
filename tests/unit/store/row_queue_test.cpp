// The spend writer's queue (store/row_queue.hpp): first in, first out through
// every operation the writer uses, and a steady flow reuses its memory.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "store/row_queue.hpp"

namespace passgate::store {
namespace {

void say(const std::string& what) { std::cout << "  checks: " << what << std::endl; }

usage::spend_record row(int i) {
  usage::spend_record r;
  r.request_id = "req_" + std::to_string(i);
  return r;
}

// Takes everything off the front, returning the ids in order.
std::vector<std::string> drain(row_queue& q) {
  std::vector<std::string> ids;
  while (!q.empty()) {
    ids.push_back(q.front().first.request_id);
    q.pop_front();
  }
  return ids;
}

TEST(row_queue, first_in_first_out_across_compaction) {
  say("rows come out in the order pushed, with their sizes, while rows are taken and pushed in turns");
  row_queue q;
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 7; ++i) q.push(row(next_in), std::size_t(next_in)), ++next_in;
    for (int i = 0; i < 5; ++i) {
      ASSERT_FALSE(q.empty());
      EXPECT_EQ(q.front().first.request_id, "req_" + std::to_string(next_out));
      EXPECT_EQ(q.front().second, std::size_t(next_out));
      q.pop_front();
      ++next_out;
    }
    EXPECT_EQ(q.size(), std::size_t(next_in - next_out));
  }
  auto rest = drain(q);
  ASSERT_EQ(rest.size(), std::size_t(next_in - next_out));
  for (auto& id : rest) EXPECT_EQ(id, "req_" + std::to_string(next_out++));
}

TEST(row_queue, take_all_and_put_back_keep_order) {
  say("take_all takes every row in order and empties the queue; put_back_front puts them before rows pushed since");
  row_queue q;
  for (int i = 0; i < 5; ++i) q.push(row(i), 1);
  q.pop_front();  // req_0 taken by a batch
  auto taken = q.take_all();
  ASSERT_EQ(taken.size(), 4u);
  EXPECT_EQ(taken.front().first.request_id, "req_1");
  EXPECT_TRUE(q.empty());
  q.push(row(5), 1);
  q.put_back_front(std::move(taken));
  EXPECT_EQ(drain(q), (std::vector<std::string>{"req_1", "req_2", "req_3", "req_4", "req_5"}));
}

TEST(row_queue, steady_flow_does_not_grow) {
  say("10,000 rows through a queue that never holds more than 64: its memory stops growing after the first rounds");
  row_queue q;
  std::size_t taken = 0;
  auto flow = [&](int rows) {
    for (int i = 0; i < rows; ++i) {
      q.push(row(i), 1);
      if (q.size() == 64)
        while (q.size() > 8) q.pop_front(), ++taken;
    }
  };
  flow(1000);
  const std::size_t settled = q.capacity();
  flow(10000);
  std::cout << "  capacity after 1,000 rows: " << settled << ", after 11,000: " << q.capacity() << std::endl;
  EXPECT_EQ(q.capacity(), settled) << "a steady flow must reuse the memory it has";
  EXPECT_GT(taken, 10000u);
}

TEST(row_queue, backlog_keeps_order_and_gives_memory_back) {
  say("a backlog of 100,000 rows taken 512 at a time while rows keep coming: order kept; once empty, its memory "
      "is given back");
  row_queue q;
  int next_in = 0, next_out = 0;
  for (; next_in < 100000; ++next_in) q.push(row(next_in), 1);
  const std::size_t peak = q.capacity();
  while (!q.empty()) {
    for (int i = 0; i < 512 && !q.empty(); ++i, ++next_out) {
      ASSERT_EQ(q.front().first.request_id, "req_" + std::to_string(next_out));
      q.pop_front();
    }
    for (int i = 0; i < 100 && next_in < 150000; ++i) q.push(row(next_in++), 1);
  }
  EXPECT_EQ(next_out, next_in);
  std::cout << "  capacity at the backlog's peak: " << peak << ", once empty: " << q.capacity() << std::endl;
  EXPECT_LT(q.capacity(), 8192u) << "the backlog's memory must not stay";
}

}  // namespace
}  // namespace passgate::store

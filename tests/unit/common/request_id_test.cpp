// Request ids (common/request_id): "req_" + 16 hex digits of a per-thread random
// prefix + 8 hex digits of a counter, formatted by hand (no snprintf per request).
#include <gtest/gtest.h>

#include <cctype>
#include <iostream>
#include <set>
#include <string>
#include <thread>

#include "common/request_id.hpp"

namespace passgate {
namespace {

void say(const std::string& what) { std::cout << "  checks: " << what << std::endl; }

bool lower_hex(const std::string& s) {
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
  return true;
}

TEST(request_id, shape_prefix_and_counter) {
  say("28 characters: req_, a 16-digit prefix fixed per thread, an 8-digit counter that goes up by one");
  std::string a, b;
  next_request_id(a);
  next_request_id(b);
  ASSERT_EQ(a.size(), 28u) << a;
  EXPECT_EQ(a.substr(0, 4), "req_");
  EXPECT_TRUE(lower_hex(a.substr(4))) << a;
  EXPECT_EQ(a.substr(4, 16), b.substr(4, 16)) << "one thread, one prefix";
  EXPECT_EQ(std::stoul(b.substr(20), nullptr, 16), std::stoul(a.substr(20), nullptr, 16) + 1) << a << " then " << b;
}

TEST(request_id, unique_across_threads_and_reuses_the_string) {
  say("ids from two threads never collide (each thread has its own random prefix); the output string is overwritten");
  std::set<std::string> seen;
  std::string out = "something longer than a request id, to be overwritten";
  for (int i = 0; i < 1000; ++i) {
    next_request_id(out);
    EXPECT_TRUE(seen.insert(out).second) << out;
  }
  std::string other;
  std::thread([&] { next_request_id(other); }).join();
  EXPECT_NE(other.substr(4, 16), out.substr(4, 16)) << "another thread's prefix";
  EXPECT_TRUE(seen.insert(other).second);
}

}  // namespace
}  // namespace passgate

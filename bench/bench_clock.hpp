#pragma once
// The monotonic clock in nanoseconds, shared by the benchmark's upstream and client.
#include <cstdint>
#include <ctime>

inline std::uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::uint64_t(ts.tv_sec) * 1000000000u + std::uint64_t(ts.tv_nsec);
}

#pragma once
// Polls until pred() holds or a generous bound passes; true if it held. Tests
// never assert on timing: the bound only keeps a broken build from hanging.
#include <chrono>
#include <thread>

namespace passgate::test {

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace passgate::test

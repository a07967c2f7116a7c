#include "store/pg_key_watcher.hpp"

#include <poll.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace passgate::store::pg {
namespace {

using namespace std::chrono_literals;

class key_watcher final : public store::watcher {
 public:
  key_watcher(std::string url, connect_options opts, std::function<void()> on_change)
      : url_(std::move(url)), opts_(std::move(opts)), on_change_(std::move(on_change)),
        thread_([this] { run(); }) {}

  ~key_watcher() override {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void run() {
    auto backoff = 100ms;
    bool down = false;  // a warning was logged for this outage
    while (!stopping()) {
      std::unique_ptr<connection> c;
      try {
        c = std::make_unique<connection>(url_, opts_);
        c->exec_script(std::string("LISTEN ") + key_changes_channel, "listen for key changes");
      } catch (const std::exception& e) {
        if (!down)
          spdlog::warn("key change watcher: {}; retrying (keys may be stale meanwhile)", e.what());
        down = true;
        pause(backoff);
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
        continue;
      }
      if (down) spdlog::info("{}: key change watcher reconnected", c->name());
      down = false;
      backoff = 100ms;
      notify();  // a change may have gone unheard while not listening
      std::string why = listen(*c);
      if (!stopping()) {
        spdlog::warn("{}: key change watcher lost its connection ({}); reconnecting", c->name(), why);
        down = true;
      }
    }
  }

  // Until the connection fails (returns why) or the watcher stops.
  std::string listen(connection& c) {
    while (!stopping()) {
      int fd = PQsocket(c.get());
      if (fd < 0) return "no socket";
      pollfd p{fd, POLLIN, 0};
      // Bounded, so that a stop is seen promptly.
      int n = ::poll(&p, 1, 250);
      if (n < 0 && errno != EINTR) return "poll failed";
      if (n <= 0) continue;
      if (!PQconsumeInput(c.get())) return c.last_error();
      bool changed = false;
      while (PGnotify* note = PQnotifies(c.get())) {
        changed = true;
        PQfreemem(note);
      }
      if (changed) notify();
      if (PQstatus(c.get()) != CONNECTION_OK) return "connection closed";
    }
    return "stopped";
  }

  void notify() {
    try {
      on_change_();
    } catch (const std::exception& e) {
      spdlog::error("key change watcher: the change handler failed: {}", e.what());
    } catch (...) {
      spdlog::error("key change watcher: the change handler failed");
    }
  }

  bool stopping() {
    std::lock_guard lk(mu_);
    return stop_;
  }

  void pause(std::chrono::milliseconds d) {
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, d, [&] { return stop_; });
  }

  const std::string url_;
  const connect_options opts_;
  const std::function<void()> on_change_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;  // last: starts once the members it uses are ready
};

}  // namespace

std::unique_ptr<store::watcher> watch_key_changes(std::string url, connect_options opts,
                                                  std::function<void()> on_change) {
  return std::make_unique<key_watcher>(std::move(url), std::move(opts), std::move(on_change));
}

}  // namespace passgate::store::pg

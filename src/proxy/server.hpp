#pragma once
// The listener and the I/O threads: one io_context per thread, one acceptor that
// hands connections round-robin, SIGTERM/SIGINT to drain and stop.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/signal_set.hpp>

#include "proxy/gateway.hpp"

namespace passgate::proxy {

class server {
 public:
  explicit server(gateway& gw);
  ~server();

  // Binds the listener; throws std::runtime_error naming the address on failure.
  void bind(const std::string& host, std::uint16_t port);
  std::uint16_t port() const { return port_; }

  // Serves until a signal or stop(), then lets in-flight requests finish for up
  // to the grace period. Returns once every thread has stopped.
  void run();
  // Starts draining (thread-safe).
  void stop();

 private:
  awaitable<void> accept_loop();
  awaitable<void> trim_loop();
  void begin_drain();

  gateway& gw_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<asio::signal_set> signals_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  std::size_t next_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool drain_requested_ = false;
};

}  // namespace passgate::proxy

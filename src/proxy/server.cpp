#include "proxy/server.hpp"

#include <malloc.h>

#include <csignal>

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "proxy/session.hpp"

namespace passgate::proxy {

namespace {
// The watchdog ticks often enough for the shortest configured timeout.
clock::duration watchdog_tick(const config::limits_config& L) {
  double shortest =
      std::min({L.idle_timeout_s, L.header_timeout_s, L.upstream_connect_timeout_s, L.upstream_idle_timeout_s});
  return seconds(std::clamp(shortest / 4, 0.01, 1.0));
}
}  // namespace

server::server(gateway& gw) : gw_(gw) {
  unsigned n = gw.cfg->server.threads ? gw.cfg->server.threads : std::max(1u, std::thread::hardware_concurrency());
  auto tick = watchdog_tick(gw.cfg->limits);
  for (unsigned i = 0; i < n; ++i) workers_.push_back(std::make_unique<worker>(gw, tick));
}

server::~server() {
  for (auto& w : workers_) w->ioc.stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void server::bind(const std::string& host, std::uint16_t port) {
  error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("listen address '" + host + "' is not an IP address");
  tcp::endpoint ep(addr, port);
  acceptor_.emplace(workers_[0]->ioc);
  acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);  // not SO_REUSEPORT: a second instance must fail
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  port_ = acceptor_->local_endpoint().port();
}

awaitable<void> server::accept_loop() {
  for (;;) {
    auto& target = *workers_[next_++ % workers_.size()];
    auto [ec, socket] = co_await acceptor_->async_accept(target.ioc, use_tuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
      spdlog::warn("accept failed: {}", ec.message());  // e.g. out of file descriptors
      asio::steady_timer t(workers_[0]->ioc, std::chrono::milliseconds(50));
      co_await t.async_wait(use_tuple);
      continue;
    }
    asio::post(target.ioc, [&target, s = std::move(socket)]() mutable { start_session(target, std::move(s)); });
  }
}

// glibc keeps the memory of a burst after it is freed: of thousands of streams
// that closed, or of large heads and bodies whose buffers the sessions gave
// back. Hand it to the system once the burst is over.
awaitable<void> server::trim_loop() {
  asio::steady_timer t(workers_[0]->ioc);
  std::int64_t peak = 0;
  std::uint64_t released_at_trim = 0;
  constexpr std::uint64_t trim_after_bytes = 16u << 20;
  while (!gw_.draining.load()) {
    t.expires_after(std::chrono::seconds(1));
    if (auto [ec] = co_await t.async_wait(use_tuple); ec) co_return;
    auto now = gw_.active_connections.load(std::memory_order_relaxed);
    auto released = gw_.released_bytes.load(std::memory_order_relaxed);
    peak = std::max(peak, now);
    if ((peak - now >= 1000 && now <= peak / 2) || released - released_at_trim >= trim_after_bytes) {
      ::malloc_trim(0);
      peak = now;
      released_at_trim = released;
    }
  }
}

void server::begin_drain() {
  if (gw_.draining.exchange(true)) return;
  spdlog::info("draining: no new connections; in-flight requests have {} s", gw_.cfg->limits.shutdown_grace_s);
  error_code ec;
  if (acceptor_) acceptor_->close(ec);
  if (signals_) signals_->cancel(ec);
  for (auto& w : workers_) asio::post(w->ioc, [w = w.get()] { w->dog.drain(); });
  {
    std::lock_guard lock(mu_);
    drain_requested_ = true;
  }
  cv_.notify_all();
}

void server::stop() {
  asio::post(workers_[0]->ioc, [this] { begin_drain(); });
}

void server::run() {
  std::signal(SIGPIPE, SIG_IGN);
  signals_.emplace(workers_[0]->ioc, SIGINT, SIGTERM);
  signals_->async_wait([this](error_code ec, int) {
    if (!ec) begin_drain();
  });
  asio::co_spawn(workers_[0]->ioc, accept_loop(), asio::detached);
  asio::co_spawn(workers_[0]->ioc, trim_loop(), asio::detached);

  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& w : workers_) {
    guards.push_back(asio::make_work_guard(w->ioc));
    w->dog.start();
    threads_.emplace_back([w = w.get()] {
      try {
        w->ioc.run();
      } catch (const std::exception& e) {
        spdlog::critical("I/O thread failed: {}", e.what());
        std::abort();
      }
    });
  }

  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return drain_requested_; });
  }
  auto until = clock::now() + seconds(gw_.cfg->limits.shutdown_grace_s);
  while (gw_.active_connections.load() > 0 && clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (auto left = gw_.active_connections.load(); left > 0) {
    // Cut what is still running through its own error paths, so that each cut
    // request still gets its log line and its row (outcome "shutdown"), then give
    // the sessions a moment to get there.
    spdlog::warn("grace period over: cutting {} connection(s)", left);
    for (auto& w : workers_) asio::post(w->ioc, [w = w.get()] { w->dog.cut(); });
    auto cut_until = clock::now() + std::chrono::seconds(2);
    while (gw_.active_connections.load() > 0 && clock::now() < cut_until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (auto stuck = gw_.active_connections.load(); stuck > 0)
      spdlog::error("{} connection(s) did not end after the cut; their requests have no row", stuck);
  }

  for (auto& w : workers_)
    asio::post(w->ioc, [w = w.get()] {
      w->dog.stop();
      w->pool.clear();
    });
  guards.clear();
  for (auto& w : workers_) w->ioc.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace passgate::proxy

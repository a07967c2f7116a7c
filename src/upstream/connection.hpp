#pragma once
// One connection to an upstream, plain TCP or TLS, with the few operations the
// relay needs. Kept in a per-thread pool between requests.
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "common/asio_fwd.hpp"
#include "common/watchdog.hpp"

namespace passgate::upstream {

class connection {
 public:
  explicit connection(asio::io_context& ioc) : plain_(ioc) {}
  connection(asio::io_context& ioc, asio::ssl::context& ctx) : plain_(ioc), tls_(std::in_place, ioc, ctx) {}

  tcp::socket& socket() { return tls_ ? tls_->next_layer() : plain_; }
  asio::ssl::stream<tcp::socket>* tls() { return tls_ ? &*tls_ : nullptr; }

  awaitable<std::tuple<error_code, std::size_t>> read_some(asio::mutable_buffer b) {
    if (tls_) co_return co_await tls_->async_read_some(b, use_tuple);
    co_return co_await plain_.async_read_some(b, use_tuple);
  }

  template <class ConstBufferSequence>
  awaitable<std::tuple<error_code, std::size_t>> write(const ConstBufferSequence& b) {
    if (tls_) co_return co_await asio::async_write(*tls_, b, use_tuple);
    co_return co_await asio::async_write(plain_, b, use_tuple);
  }

  void cancel() {
    error_code ec;
    socket().cancel(ec);
  }
  void close() {
    error_code ec;
    socket().close(ec);
  }

  // A pooled connection is only reused if nothing arrived while it sat idle:
  // any byte (a close_notify, junk) or EOF means the upstream is done with it.
  bool idle_and_open();

  clock::time_point idle_since{};

 private:
  tcp::socket plain_;  // unused when tls_ holds its own
  std::optional<asio::ssl::stream<tcp::socket>> tls_;
};

using connection_ptr = std::unique_ptr<connection>;

}  // namespace passgate::upstream

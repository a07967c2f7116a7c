#pragma once
// One connection to an upstream, plain TCP or TLS, with the few operations the
// relay needs. Kept in a per-thread pool between requests.
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/async_result.hpp>
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

  // Asynchronous operations, not coroutines: `co_await c.read_some(b)` awaits the
  // socket's operation itself, with no coroutine frame of its own (a frame is a
  // heap allocation, and these run several times per request).
  auto read_some(asio::mutable_buffer b) {
    return asio::async_initiate<decltype(use_tuple), void(error_code, std::size_t)>(
        [this](auto handler, asio::mutable_buffer buf) {
          if (tls_) tls_->async_read_some(buf, std::move(handler));
          else plain_.async_read_some(buf, std::move(handler));
        },
        use_tuple, b);
  }

  // The whole sequence; `b` must stay valid until the operation completes.
  template <class ConstBufferSequence>
  auto write(const ConstBufferSequence& b) {
    return asio::async_initiate<decltype(use_tuple), void(error_code, std::size_t)>(
        [this](auto handler, const ConstBufferSequence& bufs) {
          if (tls_) asio::async_write(*tls_, bufs, std::move(handler));
          else asio::async_write(plain_, bufs, std::move(handler));
        },
        use_tuple, b);
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

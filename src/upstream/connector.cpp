#include "upstream/connector.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

namespace passgate::upstream {

awaitable<connect_result> open_connection(asio::io_context& ioc, const endpoint_spec& spec,
                                          connection** current, tcp::resolver** resolver_slot) {
  connect_result r;
  auto conn = spec.tls ? std::make_unique<connection>(ioc, *spec.tls) : std::make_unique<connection>(ioc);
  *current = conn.get();
  struct reset_slot {
    connection** c;
    ~reset_slot() { *c = nullptr; }
  } reset{current};

  error_code ec;
  auto addr = asio::ip::make_address(spec.host, ec);
  if (!ec) {
    auto [cec] = co_await conn->socket().async_connect(tcp::endpoint(addr, spec.port), use_tuple);
    if (cec) {
      r.ec = cec;
      r.stage = "connect";
      co_return r;
    }
  } else {
    tcp::resolver resolver(ioc);
    *resolver_slot = &resolver;
    auto [rec, results] = co_await resolver.async_resolve(spec.host, std::to_string(spec.port), use_tuple);
    *resolver_slot = nullptr;
    if (rec) {
      r.ec = rec;
      r.stage = "resolve";
      co_return r;
    }
    auto [cec, ep] = co_await asio::async_connect(conn->socket(), results, use_tuple);
    if (cec) {
      r.ec = cec;
      r.stage = "connect";
      co_return r;
    }
  }
  conn->socket().set_option(tcp::no_delay(true), ec);

  if (auto* tls = conn->tls()) {
    if (!SSL_set_tlsext_host_name(tls->native_handle(), spec.host.c_str())) {
      r.ec = error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
      r.stage = "tls handshake";
      co_return r;
    }
    tls->set_verify_callback(asio::ssl::host_name_verification(spec.host));
    auto [hec] = co_await tls->async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec) {
      r.ec = hec;
      r.stage = "tls handshake";
      co_return r;
    }
  }
  r.conn = std::move(conn);
  co_return r;
}

}  // namespace passgate::upstream

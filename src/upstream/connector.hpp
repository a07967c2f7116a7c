#pragma once
// Opens a new upstream connection: resolve (skipped for IP literals), connect,
// Nagle off, and for TLS a handshake with SNI and host-name verification.
#include <string>

#include "upstream/connection.hpp"

namespace passgate::upstream {

struct endpoint_spec {
  std::string host;
  std::uint16_t port = 0;
  asio::ssl::context* tls = nullptr;  // null: plain TCP
};

struct connect_result {
  connection_ptr conn;
  error_code ec;
  const char* stage = "";  // "resolve", "connect" or "tls handshake", for messages
};

// `current` is set to the connection while it is being opened, so that a
// deadline can cancel it; `resolver` likewise.
awaitable<connect_result> open_connection(asio::io_context& ioc, const endpoint_spec& spec,
                                          connection** current, tcp::resolver** resolver);

}  // namespace passgate::upstream

#pragma once
// TLS client contexts: system CA store plus an optional extra bundle, peer and
// host-name verification, SNI.
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace passgate::upstream {

// Throws std::runtime_error naming the CA file when it cannot be loaded.
std::unique_ptr<boost::asio::ssl::context> make_client_tls(const std::optional<std::string>& ca_file);

}  // namespace passgate::upstream

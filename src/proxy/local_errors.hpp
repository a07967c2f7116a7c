#pragma once
// The texts of the errors the session and the relay answer themselves, written
// once: what a broken body or a limit means for the client, in words.
#include <string>
#include <utility>

#include <boost/system/error_code.hpp>

#include "common/gateway_error.hpp"
#include "config/config.hpp"
#include "http/parse_body.hpp"

namespace passgate::proxy {

// "2.5" for 2.5 s, "10" for 10 s.
std::string secs_text(double s);

// The chunked-body bounds that go with the configured limits.
http::body_framing_limits body_limits(const config::limits_config& L);

// A request body the parser refused: the error to answer with and its message.
// (Named results, not temporaries inside co_await: GCC 12 destroys temporaries of
// a conditional expression in a co_await statement twice.)
std::pair<gateway_error, std::string> body_error(const boost::system::error_code& ec, const config::limits_config& L);

}  // namespace passgate::proxy

#pragma once
// Shared pieces of the end-to-end tests: a mock upstream plus a gateway in front.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <string>

#include "support/free_port.hpp"
#include "support/gateway_process.hpp"
#include "support/http_client.hpp"
#include "support/mock_upstream.hpp"

namespace passgate::test {

// A port with nothing listening.
inline std::uint16_t dead_port() { return free_port(); }

// Prints what a test checks, so the log reads as a list of claims.
inline void say(const std::string& what) { std::cout << "  checks: " << what << std::endl; }

// A route "anthropic" to the mock, with extra YAML appended at the top level and
// extra keys inside the route.
inline std::string route_config(const mock_upstream& up, const std::string& route_extra = "",
                                const std::string& top_extra = "") {
  std::string y = "routes:\n  anthropic:\n    upstream: \"" + up.url() + "\"\n";
  if (!route_extra.empty()) y += route_extra;
  y += top_extra;
  return y;
}

// An upstream that answers every request with these SSE events, event i+1 held
// until the test calls release(i+1).
inline mock_upstream::handler gated_sse(std::vector<std::string> events) {
  return [events = std::move(events)](const recorded_request&) {
    mock_response m;
    m.how = mock_response::mode::sse;
    m.events = events;
    m.gated = true;
    return m;
  };
}

}  // namespace passgate::test

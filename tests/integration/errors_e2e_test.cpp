// Errors the gateway answers itself (issue 2): each with the right status and the
// provider's error shape; provider errors are not rewritten.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/e2e.hpp"

namespace passgate::test {
namespace {

void expect_error(const response& r, int status, const std::string& type, const std::string& words) {
  EXPECT_EQ(r.status, status);
  EXPECT_EQ(r.get("content-type"), "application/json");
  EXPECT_NE(r.body.find(R"({"type":"error","error":{"type":")" + type + "\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(words), std::string::npos) << r.body;
  EXPECT_TRUE(r.get("x-passgate-request-id").has_value());
}

class errors : public ::testing::Test {
 protected:
  void SetUp() override {
    gw = std::make_unique<gateway_process>(gateway_options{route_config(
        up, "",
        "limits: { max_header_bytes: 4096, max_header_count: 40, max_body_bytes: 1000,\n"
        "          upstream_idle_timeout_s: 0.5 }\n")});
  }
  mock_upstream up;
  std::unique_ptr<gateway_process> gw;
};

TEST_F(errors, unknown_route_is_404) {
  say("a path outside every route: 404 not_found_error");
  expect_error(fetch(gw->port(), "GET", "/openai/v1/models"), 404, "not_found_error", "no route");
  expect_error(fetch(gw->port(), "GET", "/anthropicx/v1"), 404, "not_found_error", "no route");
}

TEST_F(errors, malformed_request_is_400) {
  say("a request line that is not HTTP: 400 invalid_request_error, connection closed");
  client c(gw->port());
  c.send("GARBAGE\x01 / HTTP/9\r\n\r\n");
  auto r = c.read_response();
  expect_error(r, 400, "invalid_request_error", "malformed request");
  EXPECT_EQ(r.get("connection"), "close");
  EXPECT_TRUE(c.wait_closed());
}

TEST_F(errors, path_escaping_the_route_is_400) {
  for (std::string p : {"/anthropic/../admin", "/anthropic/v1/%2e%2e/x", "/anthropic/v1/a%2fb", "/anthropic/v1\\x",
                        "/anthropic//evil.example/x"}) {
    say(p + " is refused with 400 and never sent upstream");
    expect_error(fetch(gw->port(), "GET", p), 400, "invalid_request_error", "path");
  }
  EXPECT_TRUE(up.requests().empty());
}

TEST_F(errors, too_large_body_is_413) {
  say("content-length over max_body_bytes: 413 request_too_large before anything is sent upstream");
  expect_error(fetch(gw->port(), "POST", "/anthropic/v1/messages", {}, std::string(1001, 'x')), 413,
               "request_too_large", "1000 bytes");
  say("a chunked body that grows past the limit: 413 too");
  client c(gw->port());
  c.send("POST /anthropic/v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n");
  c.send("3e8\r\n" + std::string(1000, 'a') + "\r\n");
  c.send("10\r\n" + std::string(16, 'b') + "\r\n0\r\n\r\n");
  expect_error(c.read_response(), 413, "request_too_large", "1000 bytes");
  say("a body at the limit goes through");
  try {
    EXPECT_EQ(fetch(gw->port(), "POST", "/anthropic/v1/messages", {}, std::string(1000, 'x')).status, 200);
  } catch (const std::exception& e) {
    FAIL() << e.what() << "\n" << gw->log();
  }
}

TEST_F(errors, too_large_or_too_many_headers_is_431) {
  say("headers over max_header_bytes: 431");
  expect_error(fetch(gw->port(), "GET", "/anthropic/v1/models", {{"x-big", std::string(5000, 'h')}}), 431,
               "invalid_request_error", "4096 bytes");
  say("more header fields than max_header_count: 431");
  header_list many;
  for (int i = 0; i < 41; ++i) many.emplace_back("x-h" + std::to_string(i), "v");
  expect_error(fetch(gw->port(), "GET", "/anthropic/v1/models", many), 431, "invalid_request_error", "40 header");
  EXPECT_TRUE(up.requests().empty());
}

TEST_F(errors, upstream_reset_is_502) {
  up.on_request([](const recorded_request&) {
    mock_response m;
    m.how = mock_response::mode::reset;
    return m;
  });
  say("the upstream resets the connection: 502 api_error");
  expect_error(fetch(gw->port(), "POST", "/anthropic/v1/messages", {}, "{}"), 502, "api_error", "upstream");
}

TEST_F(errors, upstream_closing_without_answer_is_502) {
  up.on_request([](const recorded_request&) {
    mock_response m;
    m.how = mock_response::mode::close;
    return m;
  });
  say("the upstream closes without answering: 502 api_error");
  expect_error(fetch(gw->port(), "POST", "/anthropic/v1/messages", {}, "{}"), 502, "api_error",
               "closed the connection");
}

TEST_F(errors, silent_upstream_is_504) {
  up.on_request([](const recorded_request&) {
    mock_response m;
    m.how = mock_response::mode::no_answer;
    return m;
  });
  say("the upstream says nothing past upstream_idle_timeout_s: 504 api_error");
  expect_error(fetch(gw->port(), "POST", "/anthropic/v1/messages", {}, "{}"), 504, "api_error", "no answer");
}

TEST_F(errors, provider_errors_pass_through_unmodified) {
  up.on_request([](const recorded_request&) {
    mock_response m;
    m.status = 529;
    m.headers = {{"content-type", "application/json"}, {"x-should-retry", "true"}};
    m.body = R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})";
    return m;
  });
  say("a provider 529 reaches the client byte for byte");
  auto r = fetch(gw->port(), "POST", "/anthropic/v1/messages", {}, "{}");
  EXPECT_EQ(r.status, 529);
  EXPECT_EQ(r.body, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  EXPECT_EQ(r.get("x-should-retry"), "true");
}

TEST(errors_unreachable, refused_upstream_is_502) {
  auto port = dead_port();
  gateway_process gw({"routes:\n  anthropic:\n    upstream: \"http://127.0.0.1:" + std::to_string(port) + "\"\n"});
  say("nothing listens on the upstream port: 502 api_error naming the stage");
  expect_error(fetch(gw.port(), "POST", "/anthropic/v1/messages", {}, "{}"), 502, "api_error", "unreachable (connect)");
}

}  // namespace
}  // namespace passgate::test

// The relay end to end (issue 2): bytes, headers, streaming, pooling, TLS and
// shutdown, through the real binary.
#include <signal.h>

#include <thread>

#include "support/e2e.hpp"
#include "support/test_ca.hpp"

namespace passgate::test {
namespace {

class relay : public ::testing::Test {
 protected:
  void start(const std::string& route_extra = "    server_key: \"sk-ant-server-key\"\n",
             const std::string& top_extra = "") {
    gw = std::make_unique<gateway_process>(gateway_options{route_config(up, route_extra, top_extra)});
  }
  mock_upstream up;
  std::unique_ptr<gateway_process> gw;
};

TEST_F(relay, method_path_query_and_body_arrive_byte_for_byte) {
  start();
  std::string body("{\"model\":\"claude\",\"metadata\":{\"user_id\":\"u\"},\"x\":\"\0\x01\xff\"}", 58);
  for (std::string method : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}) {
    say(method + " keeps method, path, query and body exactly");
    bool has_body = method != "GET" && method != "HEAD";
    auto r = fetch(gw->port(), method, "/anthropic/v1/messages?beta=true&q=%20a+b", {}, has_body ? body : "");
    EXPECT_EQ(r.status, 200);
    auto got = up.last_request();
    EXPECT_EQ(got.method, method);
    EXPECT_EQ(got.target, "/v1/messages?beta=true&q=%20a+b");
    EXPECT_EQ(got.body, has_body ? body : "");
    if (method == "HEAD") EXPECT_EQ(r.body, "");
    else EXPECT_EQ(r.body, R"({"ok":true})");
  }
}

TEST_F(relay, request_headers_are_cleaned_of_hop_by_hop_and_host) {
  start();
  say("hop-by-hop headers, those named in Connection, and host are not forwarded; the rest is, in order");
  auto r = fetch(gw->port(), "POST", "/anthropic/v1/messages",
                 {{"Connection", "keep-alive, X-Drop-Me"},
                  {"X-Drop-Me", "secret-hop"},
                  {"Keep-Alive", "timeout=5"},
                  {"TE", "trailers"},
                  {"Proxy-Authorization", "Basic abc"},
                  {"Upgrade", "websocket"},
                  {"anthropic-version", "2023-06-01"},
                  {"anthropic-beta", "oauth-2025-04-20"},
                  {"anthropic-beta", "fine-grained-tool-streaming-2025-05-14"},
                  {"X-Claude-Code-Session-Id", "sess-1"},
                  {"Accept-Encoding", "gzip, br"},
                  {"User-Agent", "claude-cli/2.0"}},
                 "{}");
  ASSERT_EQ(r.status, 200);
  auto got = up.last_request();
  for (auto h : {"connection", "x-drop-me", "keep-alive", "te", "proxy-authorization", "upgrade"})
    EXPECT_FALSE(got.has(h)) << h;
  EXPECT_EQ(got.all("host"), std::vector<std::string>{"127.0.0.1:" + std::to_string(up.port())});
  EXPECT_EQ(got.all("content-length"), std::vector<std::string>{"2"});
  EXPECT_EQ(got.all("anthropic-beta"),
            (std::vector<std::string>{"oauth-2025-04-20", "fine-grained-tool-streaming-2025-05-14"}));
  EXPECT_EQ(got.get("anthropic-version"), "2023-06-01");
  EXPECT_EQ(got.get("X-Claude-Code-Session-Id"), "sess-1");
  EXPECT_EQ(got.get("accept-encoding"), "gzip, br");
  EXPECT_EQ(got.get("user-agent"), "claude-cli/2.0");
  bool name_case_kept = false;
  for (const auto& [n, v] : got.headers) name_case_kept |= n == "X-Claude-Code-Session-Id";
  EXPECT_TRUE(name_case_kept);
}

TEST_F(relay, response_status_headers_and_body_come_back_unchanged) {
  start();
  up.on_request([](const recorded_request&) {
    mock_response m;
    m.status = 429;
    m.headers = {{"content-type", "application/json"},
                 {"request-id", "req_provider_1"},
                 {"retry-after", "7"},
                 {"x-should-retry", "true"},
                 {"anthropic-ratelimit-requests-remaining", "0"},
                 {"anthropic-ratelimit-tokens-reset", "2026-11-26T00:00:00Z"},
                 {"Connection", "x-up-hop"},
                 {"x-up-hop", "no"},
                 {"Keep-Alive", "timeout=60"}};
    m.body = R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})";
    return m;
  });
  say("a provider error passes through unmodified with its headers; hop-by-hop ones are dropped");
  auto r = fetch(gw->port(), "POST", "/anthropic/v1/messages", {}, "{}");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body, R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})");
  EXPECT_EQ(r.get("request-id"), "req_provider_1");
  EXPECT_EQ(r.get("retry-after"), "7");
  EXPECT_EQ(r.get("x-should-retry"), "true");
  EXPECT_EQ(r.get("anthropic-ratelimit-requests-remaining"), "0");
  EXPECT_EQ(r.get("anthropic-ratelimit-tokens-reset"), "2026-11-26T00:00:00Z");
  EXPECT_FALSE(r.get("x-up-hop").has_value());
  EXPECT_FALSE(r.get("keep-alive").has_value());
  ASSERT_TRUE(r.get("x-passgate-request-id").has_value());
  EXPECT_TRUE(r.get("x-passgate-request-id")->starts_with("req_"));
}

TEST_F(relay, compressed_bodies_pass_through_untouched) {
  start();
  std::string gz("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xab\x56\x2a\x2e\x01\x00", 16);
  up.on_request([&](const recorded_request&) {
    mock_response m;
    m.headers = {{"content-type", "application/json"}, {"content-encoding", "gzip"}};
    m.body = gz;
    return m;
  });
  say("a gzip answer reaches the client as the same bytes with content-encoding kept");
  auto r = fetch(gw->port(), "POST", "/anthropic/v1/messages", {{"accept-encoding", "gzip"}}, "{}");
  EXPECT_EQ(r.body, gz);
  EXPECT_EQ(r.get("content-encoding"), "gzip");
}

TEST_F(relay, server_key_is_injected_only_without_a_client_credential) {
  start();
  say("no credential: the route's server key is sent as x-api-key");
  fetch(gw->port(), "POST", "/anthropic/v1/messages", {}, "{}");
  EXPECT_EQ(up.last_request().all("x-api-key"), std::vector<std::string>{"sk-ant-server-key"});
  say("client x-api-key: sent unchanged, no server key");
  fetch(gw->port(), "POST", "/anthropic/v1/messages", {{"X-Api-Key", "sk-ant-api-client"}}, "{}");
  EXPECT_EQ(up.last_request().all("x-api-key"), std::vector<std::string>{"sk-ant-api-client"});
  say("client Authorization: sent unchanged, no x-api-key");
  fetch(gw->port(), "POST", "/anthropic/v1/messages", {{"Authorization", "Bearer client-key-123"}}, "{}");
  EXPECT_FALSE(up.last_request().has("x-api-key"));
  EXPECT_EQ(up.last_request().get("authorization"), "Bearer client-key-123");
}

TEST_F(relay, ten_megabyte_bodies_stream_both_ways) {
  start();
  std::string big(10 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) ^ (i >> 9));
  up.on_request([&](const recorded_request& r) {
    mock_response m;
    m.headers = {{"content-type", "application/octet-stream"}};
    m.body = r.body;
    m.chunked = r.target.find("chunked") != std::string::npos;
    return m;
  });
  say("10 MB up with content-length and back with content-length, byte-equal");
  auto r = fetch(gw->port(), "POST", "/anthropic/v1/files", {}, big);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(up.last_request().body == big);
  EXPECT_TRUE(r.body == big);

  say("10 MB up chunked and back chunked, byte-equal, framing re-done by the gateway");
  client c(gw->port());
  std::string req = "POST /anthropic/v1/files?chunked HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n";
  c.send(req);
  for (std::size_t off = 0; off < big.size(); off += 1 << 20) {
    auto piece = std::string_view(big).substr(off, 1 << 20);
    char sz[32];
    std::snprintf(sz, sizeof sz, "%zx\r\n", piece.size());
    c.send(sz);
    c.send(piece);
    c.send("\r\n");
  }
  c.send("0\r\n\r\n");
  auto r2 = c.read_response();
  EXPECT_EQ(r2.status, 200);
  EXPECT_TRUE(up.last_request().body == big);
  EXPECT_EQ(up.last_request().get("transfer-encoding"), "chunked");
  EXPECT_TRUE(r2.body == big);
  EXPECT_EQ(r2.get("transfer-encoding"), "chunked");
}

TEST_F(relay, sse_events_arrive_one_by_one_before_the_next_is_sent) {
  start();
  std::vector<std::string> events = {
      "event: message_start\ndata: {\"type\":\"message_start\"}\n\n",
      "event: ping\ndata: {\"type\": \"ping\"}\n\n",
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"Hi\"}}\n\n",
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":3}}\n\n",
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"};
  up.on_request(gated_sse(events));
  client c(gw->port());
  c.send(make_request("POST", "/anthropic/v1/messages?beta=true", {{"accept", "text/event-stream"}}, "{\"stream\":true}"));
  auto head = c.read_head();
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.get("content-type"), "text/event-stream");
  std::string expected;
  for (std::size_t i = 0; i < events.size(); ++i) {
    say("event " + std::to_string(i) + " reaches the client while the upstream holds event " + std::to_string(i + 1));
    expected += events[i];
    // The mock sends event i+1 only after this read succeeded: a buffering relay
    // would never deliver event i, and this read would fail.
    try {
      EXPECT_EQ(c.read_events(i + 1), expected);
    } catch (const std::exception& e) {
      FAIL() << e.what() << "\n" << gw->log();
    }
    up.release(i + 1);
  }
  try {
    auto rest = c.read_response(5);
    EXPECT_EQ(rest.body, expected);
  } catch (const std::exception& e) {
    FAIL() << e.what() << "\n" << gw->log();
  }
}

TEST_F(relay, client_disconnect_cancels_the_upstream_request) {
  start();
  up.on_request(gated_sse({"event: message_start\ndata: {}\n\n", "event: ping\ndata: {}\n\n"}));
  {
    client c(gw->port());
    c.send(make_request("POST", "/anthropic/v1/messages", {}, "{}"));
    c.read_head();
    c.read_events(1);
    say("the client leaves after the first event");
  }
  say("the upstream sees its connection closed while holding the next event");
  EXPECT_TRUE(up.wait_for_cancelled(1));
}

TEST_F(relay, client_disconnect_cancels_a_slow_plain_request) {
  // Short limits make the watchdog tick often; the watcher for a non-streaming
  // answer is armed at a tick, not per request.
  start("", "limits: { idle_timeout_s: 2, upstream_connect_timeout_s: 2, upstream_idle_timeout_s: 30 }\n");
  up.on_request([](const recorded_request&) {
    mock_response m;
    m.how = mock_response::mode::no_answer;
    return m;
  });
  {
    client c(gw->port());
    c.send(make_request("POST", "/anthropic/v1/messages", {}, "{}"));
    ASSERT_TRUE(up.wait_for_requests(1));
    say("the client leaves while the upstream is still thinking (no stream)");
  }
  say("the upstream sees its connection closed");
  EXPECT_TRUE(up.wait_for_cancelled(1));
  EXPECT_TRUE(gw->wait_for_log("outcome=client_closed"));
}

TEST_F(relay, keep_alive_pipelining_and_pooled_upstream_connections) {
  start();
  client c(gw->port());
  say("two pipelined requests on one connection are answered in order");
  c.send(make_request("POST", "/anthropic/v1/a", {}, "1") + make_request("POST", "/anthropic/v1/b", {}, "22"));
  auto r1 = c.read_response();
  auto r2 = c.read_response();
  EXPECT_EQ(r1.status, 200);
  EXPECT_EQ(r2.status, 200);
  auto reqs = up.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].target, "/v1/a");
  EXPECT_EQ(reqs[1].body, "22");
  say("sequential requests reuse one upstream connection");
  for (int i = 0; i < 5; ++i) {
    c.send(make_request("POST", "/anthropic/v1/c", {}, "{}"));
    EXPECT_EQ(c.read_response().status, 200);
  }
  EXPECT_EQ(up.connections_accepted(), 1u);
}

TEST_F(relay, stale_pooled_connections_are_not_used) {
  start();
  up.on_request([](const recorded_request&) {
    mock_response m;
    m.body = "{}";
    m.drop_after = true;  // closes the keep-alive connection after answering, unannounced
    return m;
  });
  client c(gw->port());
  for (int i = 0; i < 3; ++i) {
    say("request " + std::to_string(i) + " succeeds although the upstream dropped the previous connection");
    c.send(make_request("POST", "/anthropic/v1/m", {}, "{}"));
    EXPECT_EQ(c.read_response().status, 200);
    // The drop has happened (FIN sent) before the next request goes out.
    EXPECT_TRUE(up.wait_for_closed(static_cast<std::size_t>(i + 1)));
  }
  EXPECT_EQ(up.connections_accepted(), 3u);
}

TEST_F(relay, health_endpoints_answer) {
  start();
  say("liveliness and readiness answer 200 JSON");
  auto l = fetch(gw->port(), "GET", "/health/liveliness");
  EXPECT_EQ(l.status, 200);
  EXPECT_EQ(l.get("content-type"), "application/json");
  auto r = fetch(gw->port(), "GET", "/health/readiness");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ready"})");
}

TEST_F(relay, metrics_count_requests_by_outcome_and_credential) {
  start();
  fetch(gw->port(), "POST", "/anthropic/v1/messages", {}, "{}");
  fetch(gw->port(), "POST", "/anthropic/v1/messages", {{"x-api-key", "sk-ant-api03-own"}}, "{}");
  fetch(gw->port(), "GET", "/anthropic/v1/../x");
  ASSERT_TRUE(gw->wait_for_log("GET /v1/../x 400"));
  say("GET /metrics is Prometheus text with requests by outcome and credential, and no secret");
  auto m = fetch(gw->port(), "GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.get("content-type"), "text/plain; version=0.0.4");
  EXPECT_NE(m.body.find("passgate_requests_total{outcome=\"ok\",credential=\"server\"} 1\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("passgate_requests_total{outcome=\"ok\",credential=\"byok\"} 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("passgate_requests_total{outcome=\"gateway_error\",credential=\"none\"} 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("passgate_upstream_connects_total"), std::string::npos);
  EXPECT_NE(m.body.find("# TYPE passgate_open_connections gauge"), std::string::npos);
  EXPECT_EQ(m.body.find("sk-ant"), std::string::npos);
}

TEST_F(relay, sigterm_lets_inflight_streams_finish_then_exits_zero) {
  start("", "limits: { shutdown_grace_s: 30 }\n");
  up.on_request(gated_sse({"event: a\ndata: 1\n\n", "event: b\ndata: 2\n\n", "event: c\ndata: 3\n\n"}));
  client c(gw->port());
  c.send(make_request("POST", "/anthropic/v1/messages", {}, "{}"));
  c.read_head();
  c.read_events(1);
  say("SIGTERM during a stream: the stream still completes");
  gw->send_signal(SIGTERM);
  // The gateway stops accepting: wait for that causally (readiness stops answering 200).
  bool draining = false;
  for (int i = 0; i < 2000 && !draining; ++i) {  // bounded: 10 s at most
    try {
      draining = fetch(gw->port(), "GET", "/health/readiness").status == 503;
    } catch (const std::exception&) {
      draining = true;  // the listener is closed: not accepting any more
    }
    if (!draining) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  say("the gateway says it is draining (readiness 503 or the listener closed)");
  ASSERT_TRUE(draining);
  up.release(1);
  c.read_events(2);
  up.release(2);
  auto rest = c.read_response();
  EXPECT_EQ(rest.status, 200);
  EXPECT_NE(rest.body.find("data: 3"), std::string::npos);
  say("the process exits 0 once the stream is done");
  EXPECT_EQ(gw->stop(), 0);
}

TEST(relay_tls, verifies_the_upstream_certificate) {
  temp_dir d;
  auto pki = make_test_pki(d.path);
  mock_upstream up(mock_upstream::tls_files{pki.server_cert_file, pki.server_key_file});
  {
    say("TLS upstream with the right CA: the request goes through, SNI and host name checked");
    gateway_process gw({route_config(up, "    ca_file: \"" + pki.ca_cert_file + "\"\n")});
    client c(gw.port());  // one client connection: one I/O thread, one pool
    c.send(make_request("POST", "/anthropic/v1/messages", {}, "{}"));
    EXPECT_EQ(c.read_response().status, 200);
    EXPECT_EQ(up.last_request().get("host"), "localhost:" + std::to_string(up.port()));
    say("the TLS connection is pooled too");
    c.send(make_request("POST", "/anthropic/v1/messages", {}, "{}"));
    EXPECT_EQ(c.read_response().status, 200);
    EXPECT_EQ(up.connections_accepted(), 1u);
  }
  {
    say("TLS upstream whose certificate no trusted CA signed: 502, nothing sent");
    auto before = up.requests().size();
    gateway_process gw({route_config(up, "    ca_file: \"" + pki.other_ca_cert_file + "\"\n")});
    auto r = fetch(gw.port(), "POST", "/anthropic/v1/messages", {}, "{}");
    EXPECT_EQ(r.status, 502);
    EXPECT_NE(r.body.find("\"type\":\"api_error\""), std::string::npos);
    EXPECT_NE(r.body.find("tls handshake"), std::string::npos);
    EXPECT_EQ(up.requests().size(), before);
  }
}

}  // namespace
}  // namespace passgate::test

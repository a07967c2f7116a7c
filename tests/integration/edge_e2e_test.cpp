// The edge as strict as nginx's (issue 12): framing that a second parser could
// read differently is refused and never forwarded, chunk lines and trailers are
// bounded, slow heads are cut, an upstream that breaks framing gets the client a
// 502, and every request, even one cut at shutdown, ends with its row.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "store/store.hpp"
#include "support/e2e.hpp"

namespace passgate::test {
namespace {

void expect_error(const response& r, int status, const std::string& type, const std::string& words) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_NE(r.body.find(R"({"type":"error","error":{"type":")" + type + "\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(words), std::string::npos) << r.body;
}

// An upstream that hands each accepted connection to a test function: for
// answers no well-behaved server gives (broken framing, a trickling head).
class raw_upstream {
 public:
  using serve_fn = std::function<void(int fd)>;
  explicit raw_upstream(serve_fn fn) : fn_(std::move(fn)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 64);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        workers_.emplace_back([this, c] {
          fn_(c);
          ::close(c);
        });
      }
    });
  }
  ~raw_upstream() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (auto& t : workers_) t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Reads one request head (and ignores any body: the tests send none).
  static std::string read_head(int fd) {
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos) {
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, static_cast<std::size_t>(n));
    }
    return in;
  }
  static void send_all(int fd, std::string_view s) { ::send(fd, s.data(), s.size(), MSG_NOSIGNAL); }
  // Waits until the peer closes (the gateway gave up on us).
  static void wait_closed(int fd) {
    char c;
    while (::recv(fd, &c, 1, 0) > 0) {
    }
  }

 private:
  serve_fn fn_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::vector<std::thread> workers_;
};

std::vector<usage::spend_record> rows_of(gateway_process& gw) {
  EXPECT_EQ(gw.stop(), 0) << gw.log();
  auto st = store::open_sqlite(gw.dir() + "/passgate.db");
  return st->spend_logs({}, {0, 10000});
}

const usage::spend_record* find_row(const std::vector<usage::spend_record>& rows, const std::string& id) {
  for (const auto& r : rows)
    if (r.request_id == id) return &r;
  return nullptr;
}

class edge : public ::testing::Test {
 protected:
  void SetUp() override {
    up.on_request([](const recorded_request&) {
      mock_response m;
      m.headers = {{"content-type", "application/json"}};
      m.body = R"({"ok":true})";
      return m;
    });
    gw = std::make_unique<gateway_process>(gateway_options{route_config(
        up, "    server_key: \"sk-ant-org-server\"\n",
        "limits: { max_header_bytes: 4096, max_header_count: 40, header_timeout_s: 0.3 }\n")});
  }
  // Sends raw bytes on a fresh connection and reads the one answer.
  response raw(const std::string& bytes, bool expect_close = true) {
    client c(gw->port());
    c.send(bytes);
    auto r = c.read_response();
    if (expect_close) {
      EXPECT_EQ(r.get("connection"), "close") << bytes;
      EXPECT_TRUE(c.wait_closed());
    }
    return r;
  }
  // A valid request through the same gateway: once the mock has it, anything
  // smuggled before it would have been there too.
  void expect_only_the_probe_reached_upstream() {
    auto r = fetch(gw->port(), "GET", "/anthropic/v1/probe");
    EXPECT_EQ(r.status, 200);
    ASSERT_TRUE(up.wait_for_requests(1));
    auto reqs = up.requests();
    ASSERT_EQ(reqs.size(), 1u) << "a refused request reached the upstream: " << reqs.front().target;
    EXPECT_EQ(reqs.front().target, "/v1/probe");
  }
  mock_upstream up;
  std::unique_ptr<gateway_process> gw;
};

const std::string smuggled = "GET /anthropic/v1/smuggled HTTP/1.1\r\nhost: x\r\n\r\n";

TEST_F(edge, transfer_encoding_other_than_chunked_is_refused_and_never_forwarded) {
  struct te_case {
    std::string header;
    int status;
  };
  for (const auto& [te, status] : std::vector<te_case>{
           {"transfer-encoding: chunked, identity\r\n", 400},
           {"transfer-encoding: xchunked\r\n", 400},
           {"transfer-encoding: identity\r\n", 400},
           {"transfer-encoding: \r\n", 400},
           {"transfer-encoding: chunked,\r\n", 400},
           {"transfer-encoding: gzip, chunked\r\n", 501},
           {"transfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n", 400},
           {"transfer-encoding: chunked\r\ncontent-length: 5\r\n", 400},
           {"transfer-encoding:\r\n chunked\r\n", 400},
       }) {
    say("'" + te.substr(0, te.size() - 2) + "' with a request hidden in the body: " + std::to_string(status) +
        ", connection closed");
    auto r = raw("POST /anthropic/v1/messages HTTP/1.1\r\nhost: x\r\n" + te + "\r\n" + smuggled);
    EXPECT_EQ(r.status, status) << te << r.body;
    EXPECT_NE(r.body.find(R"({"type":"error")"), std::string::npos);
  }
  say("HTTP/1.0 with transfer-encoding: 400");
  expect_error(raw("POST /anthropic/v1/messages HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"), 400,
               "invalid_request_error", "HTTP/1.0");
  say("none of them, nor the hidden request, reached the upstream");
  expect_only_the_probe_reached_upstream();
}

TEST_F(edge, obs_fold_host_and_duplicate_credentials_are_400) {
  say("a folded header line: 400");
  expect_error(raw("GET /anthropic/v1/models HTTP/1.1\r\nhost: x\r\nx-custom: a\r\n\tfolded\r\n\r\n"), 400,
               "invalid_request_error", "obs-fold");
  say("HTTP/1.1 without Host: 400; with two Host headers: 400");
  expect_error(raw("GET /anthropic/v1/models HTTP/1.1\r\n\r\n"), 400, "invalid_request_error", "Host");
  expect_error(raw("GET /anthropic/v1/models HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n"), 400,
               "invalid_request_error", "more than one Host");
  say("two different x-api-key values: 400, neither forwarded");
  expect_error(raw(make_request("GET", "/anthropic/v1/models", {{"x-api-key", "sk-ant-api-one"},
                                                                {"x-api-key", "sk-ant-api-two"}}), false),
               400, "invalid_request_error", "x-api-key");
  say("two different Authorization values: 400");
  expect_error(raw(make_request("GET", "/anthropic/v1/models", {{"authorization", "Bearer sk-ant-oat-one"},
                                                                {"authorization", "Bearer sk-ant-oat-two"}}), false),
               400, "invalid_request_error", "authorization");
  say("two different gateway key headers: 400, whether or not either is a known key");
  expect_error(raw(make_request("GET", "/anthropic/v1/models", {{"x-passgate-key", "sk-pg-aaaa"},
                                                                {"x-litellm-api-key", "sk-pg-bbbb"}}), false),
               400, "invalid_request_error", "several different gateway keys");
  expect_only_the_probe_reached_upstream();

  say("the same x-api-key twice is sent once");
  auto r = fetch(gw->port(), "GET", "/anthropic/v1/twice", {{"x-api-key", "sk-ant-api-same"}, {"x-api-key", "sk-ant-api-same"}});
  EXPECT_EQ(r.status, 200);
  ASSERT_TRUE(up.wait_for_requests(2));
  EXPECT_EQ(up.last_request().all("x-api-key"), std::vector<std::string>{"sk-ant-api-same"});
  say("HTTP/1.0 without Host is fine");
  client c(gw->port());
  c.send("GET /anthropic/v1/old HTTP/1.0\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 200);
}

TEST_F(edge, chunk_lines_and_trailers_are_bounded) {
  say("a chunk-size line with 64 KiB of extensions and no line end: 400, nothing buffered past the bound");
  {
    client c(gw->port());
    c.send("POST /anthropic/v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5;ext=");
    bool refused = false;
    std::string ext(1024, 'e');
    try {
      for (int i = 0; i < 64; ++i) c.send(ext);
    } catch (...) {
      refused = true;  // the gateway answered and closed while we were still sending
    }
    auto r = c.read_response();
    expect_error(r, 400, "invalid_request_error", "chunk-size line");
    (void)refused;
  }
  say("a trailer section over max_header_bytes (4096): 431");
  expect_error(raw("POST /anthropic/v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
                   "2\r\n{}\r\n0\r\nx-big: " + std::string(6000, 't') + "\r\n\r\n"),
               431, "invalid_request_error", "trailers");
  std::string many;
  for (int i = 0; i < 50; ++i) many += "x-t" + std::to_string(i) + ": v\r\n";
  say("more trailer fields than max_header_count (40): 431");
  expect_error(raw("POST /anthropic/v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
                   "2\r\n{}\r\n0\r\n" + many + "\r\n"),
               431, "invalid_request_error", "trailer fields");
  say("a folded trailer line: 400");
  expect_error(raw("POST /anthropic/v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
                   "2\r\n{}\r\n0\r\nx-t: a\r\n b\r\n\r\n"),
               400, "invalid_request_error", "folded");
  say("a small trailer section is fine: the body goes through");
  auto ok = raw("POST /anthropic/v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
                "2\r\n{}\r\n0\r\nx-t: a\r\n\r\n", false);
  EXPECT_EQ(ok.status, 200);
  ASSERT_TRUE(up.wait_for_requests(1));
  EXPECT_EQ(up.last_request().body, "{}");

  say("each refused request still has its row, with the status the client got");
  ASSERT_TRUE(gw->wait_for_log("POST /v1/messages 200"));
  auto rows = rows_of(*gw);
  int s400 = 0, s431 = 0;
  for (const auto& r : rows) {
    s400 += r.status == 400;
    s431 += r.status == 431;
  }
  EXPECT_EQ(s400, 2);
  EXPECT_EQ(s431, 2);
}

TEST_F(edge, a_trickling_head_is_cut_after_header_timeout) {
  say("50 connections that send a head byte by byte, each byte well within the idle timeout: all answered 408 and closed");
  std::vector<std::unique_ptr<client>> slow;
  for (int i = 0; i < 50; ++i) {
    slow.push_back(std::make_unique<client>(gw->port()));
    slow.back()->send("POST /anthropic/v1/messages HTTP/1.1\r\nhost: x\r\n");
  }
  // Bounded: 600 rounds of 20 ms is 12 s, forty times the 0.3 s header timeout.
  std::vector<bool> closed(slow.size(), false);
  std::size_t n_closed = 0;
  for (int round = 0; round < 600 && n_closed < slow.size(); ++round) {
    for (std::size_t i = 0; i < slow.size(); ++i) {
      if (closed[i]) continue;
      try {
        slow[i]->send("x");
      } catch (...) {
        closed[i] = true;
        ++n_closed;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (round % 10 == 9)  // a closed peer shows on the second send after its close
      for (std::size_t i = 0; i < slow.size(); ++i)
        if (!closed[i] && slow[i]->wait_closed(0)) {
          closed[i] = true;
          ++n_closed;
        }
  }
  EXPECT_EQ(n_closed, slow.size());
  auto r = slow.front()->read_response(5);
  expect_error(r, 408, "timeout_error", "request head not received within 0.3 s");
  EXPECT_TRUE(up.requests().empty());
}

TEST_F(edge, obs_fold_is_caught_when_the_head_arrives_in_pieces) {
  say("a folded line in an early piece of the head, the rest later: 400 all the same");
  client c(gw->port());
  c.send("GET /anthropic/v1/models HTTP/1.1\r\nhost: x\r\nx-a: 1\r\n folded\r\nx-b");
  // Most likely the gateway takes the first piece alone; if not, the whole head
  // shows the fold: the answer is the same either way (nothing timed is asserted).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  c.send(": 2\r\n\r\n");
  expect_error(c.read_response(), 400, "invalid_request_error", "obs-fold");
  EXPECT_TRUE(up.requests().empty());
}

TEST_F(edge, a_head_request_answered_locally_has_no_body) {
  say("HEAD to an unknown path: 404 with content-length and no body; the next response on the connection is intact");
  client c(gw->port());
  c.send("HEAD /nowhere HTTP/1.1\r\nhost: x\r\n\r\nGET /health/liveliness HTTP/1.1\r\nhost: x\r\n\r\n");
  auto head = c.read_response(30, true);
  EXPECT_EQ(head.status, 404);
  EXPECT_TRUE(head.body.empty());
  auto next = c.read_response();
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, R"({"status":"alive"})");
}

TEST(edge_upstream, a_failed_forward_leaves_no_body_bytes_behind) {
  say("the upstream refuses connections: a keep-alive POST with its body gets 502, and the next request on the "
      "same connection is read as sent (the first body is not taken for a request)");
  gateway_process gw({"routes:\n  anthropic:\n    upstream: \"http://127.0.0.1:" + std::to_string(dead_port()) + "\"\n"});
  client c(gw.port());
  const std::string body = "GET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n";
  c.send(make_request("POST", "/anthropic/v1/messages", {}, body) + "GET /health/liveliness HTTP/1.1\r\nhost: x\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 502) << r.body;
  auto next = c.read_response();
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, R"({"status":"alive"})");
}

TEST(edge_upstream, broken_framing_before_any_byte_is_a_502_with_its_row) {
  raw_upstream up([](int fd) {
    raw_upstream::read_head(fd);
    raw_upstream::send_all(fd, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                               "zz-not-hex\r\n{}\r\n0\r\n\r\n");
    raw_upstream::wait_closed(fd);
  });
  gateway_process gw({"routes:\n  anthropic:\n    upstream: \"" + up.url() + "\"\n"});
  say("a garbled chunked answer, head and body in one piece: the client gets 502, not an empty reply");
  auto r = fetch(gw.port(), "POST", "/anthropic/v1/messages", {}, "{}");
  expect_error(r, 502, "api_error", "malformed body");
  auto id = *r.get("x-passgate-request-id");
  ASSERT_TRUE(gw.wait_for_log(id));
  auto rows = rows_of(gw);
  auto* row = find_row(rows, id);
  ASSERT_NE(row, nullptr);
  say("its row and log line say 502, the status the client got");
  EXPECT_EQ(row->status, 502);
  EXPECT_EQ(row->outcome, "gateway_error");
  EXPECT_NE(gw.log().find("POST /v1/messages 502"), std::string::npos);
}

TEST(edge_upstream, a_trickling_response_head_is_cut) {
  std::atomic<bool> stop{false};
  raw_upstream up([&](int fd) {
    raw_upstream::read_head(fd);
    raw_upstream::send_all(fd, "HTTP/1.1 200 OK\r\n");
    // A header byte every 20 ms, each well inside the upstream idle timeout;
    // bounded at 12 s in all.
    for (int i = 0; i < 600 && !stop; ++i) {
      if (::send(fd, "x", 1, MSG_NOSIGNAL) != 1) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  gateway_process gw({"routes:\n  anthropic:\n    upstream: \"" + up.url() + "\"\n"
                      "limits: { header_timeout_s: 0.3, upstream_idle_timeout_s: 60 }\n"});
  say("an upstream that trickles its response head: 504 once header_timeout_s has passed since its first byte");
  auto r = fetch(gw.port(), "GET", "/anthropic/v1/models");
  stop = true;
  expect_error(r, 504, "api_error", "response head not complete within 0.3 s");
}

TEST(edge_upstream, a_stream_that_ends_in_an_error_event_is_not_ok) {
  mock_upstream up;
  up.on_request([](const recorded_request&) {
    mock_response m;
    m.how = mock_response::mode::sse;
    m.events = {
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5\","
        "\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}\n\n",
        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"};
    return m;
  });
  gateway_process gw({route_config(up)});
  auto r = fetch(gw.port(), "POST", "/anthropic/v1/messages", {}, R"({"stream":true})");
  EXPECT_EQ(r.status, 200);
  auto id = *r.get("x-passgate-request-id");
  ASSERT_TRUE(gw.wait_for_log(id));
  auto rows = rows_of(gw);
  auto* row = find_row(rows, id);
  ASSERT_NE(row, nullptr);
  say("status 200 (what the client got), outcome upstream_error, the tokens seen kept");
  EXPECT_EQ(row->status, 200);
  EXPECT_EQ(row->outcome, "upstream_error");
  EXPECT_EQ(row->input_tokens, 7);
}

TEST(edge_shutdown, streams_cut_when_the_grace_period_ends_all_get_rows) {
  mock_upstream up;
  up.on_request(gated_sse({"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":"
                           "\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n",
                           "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"}));
  gateway_process gw({route_config(up, "", "limits: { shutdown_grace_s: 0.2 }\n")});
  constexpr int streams = 50;
  std::vector<std::unique_ptr<client>> clients;
  std::vector<std::string> ids;
  for (int i = 0; i < streams; ++i) {
    clients.push_back(std::make_unique<client>(gw.port()));
    clients.back()->send(make_request("POST", "/anthropic/v1/messages", {}, R"({"stream":true})"));
  }
  for (auto& c : clients) {
    auto head = c->read_head();
    ids.push_back(*head.get("x-passgate-request-id"));
    c->read_events(1);
  }
  say("50 streams open, each past its first event; SIGTERM with a 0.2 s grace period");
  EXPECT_EQ(gw.stop(), 0);
  auto st = store::open_sqlite(gw.dir() + "/passgate.db");
  auto rows = st->spend_logs({}, {0, 10000});
  say("50 rows, one per stream, each outcome shutdown with status 200 and the tokens seen");
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(streams));
  for (const auto& id : ids) {
    auto* row = find_row(rows, id);
    ASSERT_NE(row, nullptr) << id;
    EXPECT_EQ(row->outcome, "shutdown");
    EXPECT_EQ(row->status, 200);
    EXPECT_EQ(row->input_tokens, 3);
  }
  for (auto& c : clients) EXPECT_TRUE(c->wait_closed(5));
}

// Resident memory of a process, from /proc (kB).
long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

TEST(edge_memory, rss_goes_back_down_after_a_burst_of_large_heads) {
  mock_upstream up;
  up.on_request([](const recorded_request&) {
    mock_response m;
    m.headers = {{"content-type", "application/json"}};
    m.body = "{}";
    return m;
  });
  gateway_process gw({route_config(up, "", "limits: { max_header_bytes: 4194304 }\n")});
  EXPECT_EQ(fetch(gw.port(), "GET", "/anthropic/v1/warm").status, 200);
  const long baseline = rss_kb(gw.pid());
  ASSERT_GT(baseline, 0);
  say("40 keep-alive connections each send a 1.5 MB head, get their answer and stay open");
  std::vector<std::unique_ptr<client>> conns;
  header_list big;
  for (int i = 0; i < 25; ++i) big.push_back({"x-big-" + std::to_string(i), std::string(60 * 1024, 'h')});
  for (int i = 0; i < 40; ++i) {
    conns.push_back(std::make_unique<client>(gw.port()));
    conns.back()->send(make_request("GET", "/health/liveliness", big));
    EXPECT_EQ(conns.back()->read_response().status, 200);
  }
  say("a single header field over 64 KiB: 431 with a clear message, not a dropped connection");
  auto huge = fetch(gw.port(), "GET", "/anthropic/v1/x", {{"x-huge", std::string(70000, 'h')}});
  expect_error(huge, 431, "invalid_request_error", "longer than 65535 bytes");
  say("RSS returns to within 24 MB of the start while they idle (60 MB of heads went through)");
  long now = rss_kb(gw.pid());
  for (int i = 0; i < 100 && now > baseline + 24 * 1024; ++i) {  // bounded: the trim runs once a second
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    now = rss_kb(gw.pid());
  }
  std::cout << "  RSS: " << baseline << " kB at start, " << now << " kB after the burst\n";
  EXPECT_LE(now, baseline + 24 * 1024);
}

}  // namespace
}  // namespace passgate::test

// bench_upstream: a loopback stand-in for the Anthropic Messages API, for
// bench/run.sh. One thread, epoll, edge-triggered, no framework: it must cost
// far less per request than any proxy in front of it (the run shows its CPU
// time per request next to the proxies').
//
// Any POST answers like /v1/messages:
//   - body without "stream": true  → a ~600-byte message JSON (content-length);
//   - body with "stream": true     → a 40-event SSE answer, chunked, one chunk
//                                     per event (as the API sends it).
// Query parameters (forwarded untouched by both proxies) shape the answer:
//   delay_ms=D   JSON: the whole answer after D ms. SSE: the head at once, the
//                first event after D ms, the rest right after it.
//   pace_ms=P    SSE: after the first event, one event every P ms.
//   events=E     SSE: E events (7..100000) instead of 40.
// Paced events carry a comment line ": t=<CLOCK_MONOTONIC ns>" written just
// before the event is sent, so that the stream client can tell how late each
// event arrived (same machine, same clock).
//
//   bench_upstream [--port N] [--port-file FILE]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "bench_clock.hpp"

namespace {

using u64 = std::uint64_t;

constexpr std::string_view response_headers =
    "anthropic-organization-id: 7f3c2a9e-1b4d-4e8f-9a6c-5d2e8b1f0c3a\r\n"
    "anthropic-ratelimit-requests-limit: 4000\r\n"
    "anthropic-ratelimit-requests-remaining: 3999\r\n"
    "anthropic-ratelimit-requests-reset: 2025-01-01T00:00:01Z\r\n"
    "anthropic-ratelimit-input-tokens-limit: 2000000\r\n"
    "anthropic-ratelimit-input-tokens-remaining: 1999975\r\n"
    "anthropic-ratelimit-input-tokens-reset: 2025-01-01T00:00:01Z\r\n"
    "anthropic-ratelimit-output-tokens-limit: 400000\r\n"
    "anthropic-ratelimit-output-tokens-remaining: 399905\r\n"
    "anthropic-ratelimit-output-tokens-reset: 2025-01-01T00:00:01Z\r\n"
    "request-id: req_011CUb3nJYvGk2Xq8pWm4RtZ\r\n"
    "via: 1.1 google\r\n";

std::string make_json_response() {
  std::string body =
      R"({"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",)"
      R"("content":[{"type":"text","text":"The relay forwards bytes as they arrive. )";
  const std::string tail =
      R"("}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,)"
      R"("cache_read_input_tokens":0,"output_tokens":95,"service_tier":"standard"}})";
  while (body.size() + tail.size() < 600) body += "Tokens keep flowing. ";
  body += tail;
  std::string r = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + std::to_string(body.size()) +
                  "\r\n" + std::string(response_headers) + "\r\n";
  return r + body;
}

const std::string sse_head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
                             "cache-control: no-cache\r\ntransfer-encoding: chunked\r\n" +
                             std::string(response_headers) + "\r\n";

// The i-th of n events of a realistic Anthropic stream: message_start,
// content_block_start, ping, n-6 text deltas, content_block_stop,
// message_delta, message_stop.
std::string sse_event(int i, int n) {
  if (i == 0)
    return "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\","
           "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],"
           "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":0,"
           "\"cache_read_input_tokens\":0,\"output_tokens\":1,\"service_tier\":\"standard\"}}}\n\n";
  if (i == 1)
    return "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
           "{\"type\":\"text\",\"text\":\"\"}}\n\n";
  if (i == 2) return "event: ping\ndata: {\"type\": \"ping\"}\n\n";
  if (i == n - 3) return "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n";
  if (i == n - 2)
    return "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
           "\"stop_sequence\":null},\"usage\":{\"output_tokens\":" +
           std::to_string(3 * (n - 6)) + "}}\n\n";
  if (i == n - 1) return "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  return "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
         "{\"type\":\"text_delta\",\"text\":\" relay tokens " +
         std::to_string(i) + "\"}}\n\n";
}

void append_chunk(std::string& out, std::string_view data) {
  char size[32];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  out.append(size, n);
  out.append(data);
  out.append("\r\n");
}

// The instant 40-event answer, chunked, prebuilt.
std::string make_sse_body(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) append_chunk(out, sse_event(i, n));
  out += "0\r\n\r\n";
  return out;
}

const std::string json_response = make_json_response();

// An OpenAI Chat Completions answer of the same size, for the /openai route
// (its usage read by the OpenAI dialect).
std::string make_openai_json_response() {
  std::string body =
      R"({"id":"chatcmpl-BxQ2Vd8mK1bWz9TfLq0rS3yU","object":"chat.completion","created":1735689600,)"
      R"("model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"The relay forwards bytes as they arrive. )";
  const std::string tail =
      R"("},"finish_reason":"stop"}],"usage":{"prompt_tokens":25,"completion_tokens":95,"total_tokens":120,)"
      R"("prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}})";
  while (body.size() + tail.size() < 600) body += "Tokens keep flowing. ";
  body += tail;
  return "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + std::to_string(body.size()) +
         "\r\nopenai-processing-ms: 412\r\nx-request-id: req_7f3c2a9e1b\r\n\r\n" + body;
}
const std::string openai_json_response = make_openai_json_response();
const std::string sse_body_40 = make_sse_body(40);
const std::string bad_request =
    "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 12\r\nconnection: close\r\n\r\nbad request\n";

enum class state { reading, waiting, streaming };

struct conn {
  int fd = -1;
  u64 gen = 0;
  state st = state::reading;
  std::string in;
  std::size_t in_used = 0;  // bytes of `in` that belong to requests already answered
  std::string out;
  std::size_t out_off = 0;
  bool close_after = false;
  bool want_close = false;
  // the answer being produced
  bool sse = false;
  bool openai = false;  // the request was for /v1/chat/completions: OpenAI's answer
  int events = 40;
  int sent = 0;
  u64 pace_ns = 0;
};

struct timer_entry {
  u64 due;
  int fd;
  u64 gen;
  bool operator>(const timer_entry& o) const { return due > o.due; }
};

int ep = -1;
int tfd = -1;
std::vector<std::unique_ptr<conn>> conns;
std::priority_queue<timer_entry, std::vector<timer_entry>, std::greater<>> timers;
u64 armed_for = 0;
u64 next_gen = 1;

void arm_timer() {
  if (timers.empty()) return;
  u64 due = timers.top().due;
  if (due == armed_for) return;
  armed_for = due;
  itimerspec its{};
  its.it_value.tv_sec = time_t(due / 1000000000u);
  its.it_value.tv_nsec = long(due % 1000000000u);
  if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, nullptr);
}

void schedule(conn& c, u64 due) {
  timers.push({due, c.fd, c.gen});
  arm_timer();
}

void close_conn(conn& c) {
  int fd = c.fd;
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
  ::close(fd);
  conns[fd].reset();
}

// Sends what is queued; false when the connection was closed.
bool flush(conn& c) {
  while (c.out_off < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_off += std::size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;  // EPOLLOUT resumes
    close_conn(c);
    return false;
  }
  c.out.clear();
  c.out_off = 0;
  if (c.want_close && c.st == state::reading) {
    close_conn(c);
    return false;
  }
  return true;
}

bool process(conn& c);

// The answer is complete: back to reading (a further request may be buffered).
bool answer_done(conn& c) {
  c.st = state::reading;
  c.gen = next_gen++;  // stale timers for this answer are ignored
  if (c.close_after) c.want_close = true;
  if (!flush(c)) return false;
  return process(c);
}

std::string_view query_param(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  auto qs = target.substr(q + 1);
  while (!qs.empty()) {
    auto amp = qs.find('&');
    auto kv = qs.substr(0, amp);
    auto eq = kv.find('=');
    if (kv.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view{} : kv.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    qs.remove_prefix(amp + 1);
  }
  return {};
}

long number(std::string_view s, long def, long lo, long hi) {
  if (s.empty()) return def;
  long v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return def;
    v = v * 10 + (ch - '0');
    if (v > hi) return hi;
  }
  return std::max(lo, v);
}

bool iequals_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  return true;
}

bool body_streams(std::string_view body) {
  auto p = body.find("\"stream\"");
  if (p == std::string_view::npos) return false;
  p += 8;
  while (p < body.size() && (body[p] == ' ' || body[p] == ':' || body[p] == '\t' || body[p] == '\n')) ++p;
  return body.substr(p, 4) == "true";
}

void send_event(conn& c) {
  std::string ev = sse_event(c.sent, c.events);
  if (c.pace_ns) ev = ": t=" + std::to_string(now_ns()) + "\n" + ev;
  append_chunk(c.out, ev);
  ++c.sent;
}

// Parses and answers every complete request buffered; false when closed.
bool process(conn& c) {
  while (c.st == state::reading) {
    std::string_view buf(c.in.data() + c.in_used, c.in.size() - c.in_used);
    auto end = buf.find("\r\n\r\n");
    if (end == std::string_view::npos) break;
    std::string_view head = buf.substr(0, end + 2);
    auto line_end = head.find("\r\n");
    std::string_view request_line = head.substr(0, line_end);
    auto sp1 = request_line.find(' ');
    auto sp2 = request_line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) {
      c.out += bad_request;
      c.want_close = true;
      return flush(c);
    }
    std::string_view target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t content_length = 0;
    bool close_after = request_line.substr(sp2 + 1) == "HTTP/1.0";
    std::size_t pos = line_end + 2;
    while (pos < head.size()) {
      auto e = head.find("\r\n", pos);
      std::string_view line = head.substr(pos, e - pos);
      pos = e + 2;
      if (iequals_prefix(line, "content-length:")) {
        content_length = std::size_t(number(line.substr(line.find_first_not_of(' ', 15)), 0, 0, 1L << 30));
      } else if (iequals_prefix(line, "transfer-encoding:")) {
        c.out += bad_request;  // not needed by the benchmark
        c.want_close = true;
        return flush(c);
      } else if (iequals_prefix(line, "connection:")) {
        std::string v(line.substr(11));
        for (auto& ch : v) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        if (v.find("close") != std::string::npos) close_after = true;
      }
    }
    if (buf.size() < end + 4 + content_length) break;  // body not complete yet
    std::string_view body = buf.substr(end + 4, content_length);

    c.close_after = close_after;
    c.sse = body_streams(body);
    c.openai = target.starts_with("/v1/chat/completions");
    const u64 delay = u64(number(query_param(target, "delay_ms"), 0, 0, 600000)) * 1000000u;
    c.pace_ns = u64(number(query_param(target, "pace_ms"), 0, 0, 600000)) * 1000000u;
    c.events = int(number(query_param(target, "events"), 40, 7, 100000));
    c.sent = 0;
    c.in_used += end + 4 + content_length;
    if (c.in_used == c.in.size()) {
      c.in.clear();
      c.in_used = 0;
    }

    if (!c.sse) {
      if (delay == 0) {
        c.out += c.openai ? openai_json_response : json_response;
        if (!answer_done(c)) return false;
        continue;
      }
      c.st = state::waiting;
      schedule(c, now_ns() + delay);
      return true;
    }
    c.out += sse_head;
    if (delay == 0 && c.pace_ns == 0) {
      if (c.events == 40) {
        c.out += sse_body_40;
      } else {
        while (c.sent < c.events) send_event(c);
        c.out += "0\r\n\r\n";
      }
      if (!answer_done(c)) return false;
      continue;
    }
    c.st = state::streaming;
    if (!flush(c)) return false;
    schedule(c, now_ns() + delay);
    return true;
  }
  return true;
}

void on_timer(conn& c) {
  if (c.st == state::waiting) {
    c.out += c.openai ? openai_json_response : json_response;
    answer_done(c);
    return;
  }
  if (c.st != state::streaming) return;
  if (c.pace_ns == 0) {
    while (c.sent < c.events) send_event(c);
  } else {
    send_event(c);
  }
  if (c.sent < c.events) {
    if (!flush(c)) return;
    schedule(c, now_ns() + c.pace_ns);
    return;
  }
  c.out += "0\r\n\r\n";
  answer_done(c);
}

void on_readable(conn& c) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      c.in.append(buf, std::size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    close_conn(c);  // EOF or error: the peer is gone (a stream client that hung up)
    return;
  }
  process(c);
}

void set_nofile_max() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  const char* port_file = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
    else if (a == "--port-file" && i + 1 < argc) port_file = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_upstream [--port N] [--port-file FILE]\n");
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  set_nofile_max();

  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(std::uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(lfd, 65535) != 0) {
    std::perror("bench_upstream: bind/listen");
    return 1;
  }
  socklen_t alen = sizeof addr;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &alen);
  port = ntohs(addr.sin_port);
  if (port_file) {
    std::string tmp = std::string(port_file) + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    std::fprintf(f, "%d\n", port);
    std::fclose(f);
    std::rename(tmp.c_str(), port_file);
  }

  ep = epoll_create1(EPOLL_CLOEXEC);
  tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.fd = tfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);

  std::vector<epoll_event> events(1024);
  for (;;) {
    int n = epoll_wait(ep, events.data(), int(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          int cfd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break;
          setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          if (std::size_t(cfd) >= conns.size()) conns.resize(std::size_t(cfd) * 2 + 64);
          conns[cfd] = std::make_unique<conn>();
          conns[cfd]->fd = cfd;
          conns[cfd]->gen = next_gen++;
          epoll_event cev{};
          cev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
          cev.data.fd = cfd;
          epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
        }
      } else if (fd == tfd) {
        u64 expirations;
        while (::read(tfd, &expirations, sizeof expirations) > 0) {}
        armed_for = 0;
        u64 now = now_ns();
        while (!timers.empty() && timers.top().due <= now) {
          auto t = timers.top();
          timers.pop();
          if (std::size_t(t.fd) < conns.size() && conns[t.fd] && conns[t.fd]->gen == t.gen) on_timer(*conns[t.fd]);
        }
        arm_timer();
      } else {
        if (std::size_t(fd) >= conns.size() || !conns[fd]) continue;
        conn& c = *conns[fd];
        auto e = events[i].events;
        if (e & EPOLLOUT) {
          if (!flush(c)) continue;
        }
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(c);
      }
    }
  }
}

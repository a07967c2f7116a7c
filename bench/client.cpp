// bench_client: the load/stream client for what wrk cannot measure, for
// bench/run.sh. One thread, epoll, raw sockets: its own cost per request is a
// few microseconds and lands on the load generator's core, not the proxy's.
//
//   bench_client ttfb --port P --path PATH --headers-file F --body-file F
//                     --conns C --duration S [--warmup S] [--dump FILE]
//       C keep-alive connections, each sending the request again as soon as
//       the previous answer is complete. Per request: time to the first byte
//       of the answer (TTFB) and to its last byte.
//
//   bench_client streams --port P --path PATH --headers-file F --body-file F
//                        --streams N --ramp S [--stall-ms 50] [--timeout S]
//                        [--watch-pid PID]... [--dump FILE]
//       Opens N streaming requests spread evenly over S seconds and holds them
//       all until the upstream ends them. Every event that carries a ": t=<ns>"
//       stamp (bench_upstream's paced mode) is checked: delivered more than
//       --stall-ms after the upstream sent it is a stall. Samples the RSS of
//       the watched processes (summed) every 100 ms and reports the peak.
//
// Prints one JSON object on stdout.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bench_clock.hpp"

namespace {

using u64 = std::uint64_t;

[[noreturn]] void die(const std::string& m) {
  std::fprintf(stderr, "bench_client: %s\n", m.c_str());
  std::exit(2);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// An HTTP/1.1 response, fed incrementally; body bytes (de-chunked) go to a callback.
struct response_parser {
  enum class st { head, body_len, body_eof, chunk_size, chunk_data, chunk_crlf, trailer, done };
  st state = st::head;
  std::string head;
  std::string line;
  int status = 0;
  u64 remaining = 0;
  bool close = false;

  void reset() {
    state = st::head;
    head.clear();
    line.clear();
    status = 0;
    remaining = 0;
    close = false;
  }

  static bool iprefix(std::string_view s, std::string_view p) {
    if (s.size() < p.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(s[i])) != p[i]) return false;
    return true;
  }

  void parse_head() {
    std::string_view h = head;
    if (h.size() > 12) status = std::atoi(std::string(h.substr(9, 3)).c_str());
    bool chunked = false;
    bool has_length = false;
    std::size_t pos = h.find("\r\n") + 2;
    while (pos < h.size()) {
      auto e = h.find("\r\n", pos);
      if (e == std::string_view::npos) break;
      auto l = h.substr(pos, e - pos);
      pos = e + 2;
      if (iprefix(l, "content-length:")) {
        has_length = true;
        remaining = std::strtoull(std::string(l.substr(15)).c_str(), nullptr, 10);
      } else if (iprefix(l, "transfer-encoding:")) {
        std::string v(l.substr(18));
        for (auto& c : v) c = char(std::tolower(static_cast<unsigned char>(c)));
        chunked = v.find("chunked") != std::string::npos;
      } else if (iprefix(l, "connection:")) {
        std::string v(l.substr(11));
        for (auto& c : v) c = char(std::tolower(static_cast<unsigned char>(c)));
        close = v.find("close") != std::string::npos;
      }
    }
    if (chunked) state = st::chunk_size;
    else if (has_length) state = remaining ? st::body_len : st::done;
    else state = st::body_eof;
  }

  // Consumes what it can; returns bytes used (all of them unless done early).
  template <class OnBody>
  std::size_t feed(const char* p, std::size_t n, OnBody&& on_body) {
    std::size_t i = 0;
    // Hands on the body bytes still owed by a length or a chunk, then moves on.
    auto take_counted = [&](st next) {
      std::size_t take = std::size_t(std::min<u64>(remaining, n - i));
      on_body(p + i, take);
      i += take;
      remaining -= take;
      if (!remaining) state = next;
    };
    while (i < n && state != st::done) {
      switch (state) {
        case st::head: {
          std::size_t old = head.size();
          head.append(p + i, n - i);
          auto e = head.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
          if (e == std::string::npos) {
            i = n;
            break;
          }
          std::size_t used = e + 4 - old;
          head.resize(e + 4);
          i += used;
          parse_head();
          break;
        }
        case st::body_len:
          take_counted(st::done);
          break;
        case st::body_eof:
          on_body(p + i, n - i);
          i = n;
          break;
        case st::chunk_size:
        case st::chunk_crlf:
        case st::trailer: {
          const char* nl = static_cast<const char*>(std::memchr(p + i, '\n', n - i));
          std::size_t end = nl ? std::size_t(nl - p) : n;
          line.append(p + i, end - i);
          i = end;
          if (!nl) break;
          ++i;  // the '\n'
          if (state == st::chunk_crlf) {
            state = st::chunk_size;
          } else if (state == st::chunk_size) {
            remaining = std::strtoull(line.c_str(), nullptr, 16);
            state = remaining ? st::chunk_data : st::trailer;
          } else if (line.empty() || line == "\r") {
            state = st::done;
          }
          line.clear();
          break;
        }
        case st::chunk_data:
          take_counted(st::chunk_crlf);
          break;
        case st::done:
          break;
      }
    }
    return i;
  }
};

struct options {
  std::string mode;
  int port = 0;
  std::string path = "/v1/messages";
  std::string headers_file, body_file;
  int conns = 1;
  double duration = 3, warmup = 0;
  int streams = 100;
  double ramp = 1, stall_ms = 50, timeout = 60;
  std::vector<int> watch;
  std::string dump;  // ttfb: every recorded request as "start_ns ttfb_ns total_ns", for diagnosis
};

std::string build_request(const options& o) {
  std::string headers = slurp(o.headers_file);
  std::string body = slurp(o.body_file);
  std::string r = "POST " + o.path + " HTTP/1.1\r\nhost: 127.0.0.1:" + std::to_string(o.port) + "\r\n";
  std::istringstream in(headers);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) r += line + "\r\n";
  }
  r += "content-length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return r;
}

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(std::uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

double pct(std::vector<u64>& v, double p) {
  if (v.empty()) return 0;
  std::size_t k = std::size_t(p / 100.0 * double(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
  return double(v[k]);
}

long rss_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

struct conn {
  int fd = -1;
  bool connected = false;
  std::size_t out_off = 0;
  response_parser parser;
  u64 sent_at = 0, first_at = 0;
  bool recorded = false;
  std::string line;  // streams: the current body line
  bool receiving = false;
};

int epfd = -1;

enum class sent { done, blocked, failed };

// Sends what is left of the request on c's socket.
sent send_rest(conn& c, std::string_view req) {
  while (c.out_off < req.size()) {
    ssize_t n = ::send(c.fd, req.data() + c.out_off, req.size() - c.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_off += std::size_t(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINPROGRESS || errno == ENOTCONN)) return sent::blocked;
    return sent::failed;
  }
  return sent::done;
}

void watch_fd(int fd, bool want_out, int op) {
  epoll_event ev{};
  ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0u);
  ev.data.fd = fd;
  epoll_ctl(epfd, op, fd, &ev);
}

// ---------------------------------------------------------------- ttfb mode

int run_ttfb(const options& o) {
  const std::string req = build_request(o);
  std::vector<std::unique_ptr<conn>> by_fd;
  std::vector<u64> ttfb, total, starts;
  starts.reserve(1 << 20);
  ttfb.reserve(1 << 20);
  total.reserve(1 << 20);
  u64 errors = 0, non200 = 0, reconnects = 0;
  const u64 t0 = now_ns();
  const u64 record_from = t0 + u64(o.warmup * 1e9);
  const u64 stop_at = record_from + u64(o.duration * 1e9);
  int open = 0;

  auto start = [&](conn& c) {
    c.parser.reset();
    c.out_off = 0;
    c.sent_at = now_ns();
    c.first_at = 0;
  };
  auto try_send = [&](conn& c) -> bool {
    const auto r = send_rest(c, req);
    if (r != sent::failed) watch_fd(c.fd, r == sent::blocked, EPOLL_CTL_MOD);
    return r != sent::failed;
  };
  auto open_conn = [&]() -> bool {
    int fd = connect_to(o.port);
    if (fd < 0) return false;
    if (std::size_t(fd) >= by_fd.size()) by_fd.resize(std::size_t(fd) * 2 + 16);
    by_fd[fd] = std::make_unique<conn>();
    conn& c = *by_fd[fd];
    c.fd = fd;
    watch_fd(fd, true, EPOLL_CTL_ADD);
    start(c);
    ++open;
    return true;
  };
  auto drop = [&](conn& c) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    by_fd[c.fd].reset();
    --open;
  };
  for (int i = 0; i < o.conns; ++i)
    if (!open_conn()) ++errors;

  std::vector<epoll_event> evs(256);
  char buf[65536];
  while (open > 0) {
    int n = epoll_wait(epfd, evs.data(), int(evs.size()), 100);
    u64 now = now_ns();
    for (int k = 0; k < n; ++k) {
      int fd = evs[k].data.fd;
      if (std::size_t(fd) >= by_fd.size() || !by_fd[fd]) continue;
      conn& c = *by_fd[fd];
      if (evs[k].events & EPOLLOUT) {
        if (!try_send(c)) {
          ++errors;
          drop(c);
          if (now < stop_at && open_conn()) ++reconnects;
          continue;
        }
      }
      if (!(evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      ssize_t r = ::recv(fd, buf, sizeof buf, 0);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        if (c.parser.state == response_parser::st::body_eof) c.parser.state = response_parser::st::done;
        else ++errors;
        drop(c);
        if (now < stop_at && open_conn()) ++reconnects;
        continue;
      }
      now = now_ns();
      if (!c.first_at) c.first_at = now;
      c.parser.feed(buf, std::size_t(r), [](const char*, std::size_t) {});
      if (c.parser.state != response_parser::st::done) continue;
      if (c.parser.status != 200) ++non200;
      if (c.sent_at >= record_from && now <= stop_at) {
        ttfb.push_back(c.first_at - c.sent_at);
        total.push_back(now - c.sent_at);
        starts.push_back(c.sent_at);
      }
      if (now >= stop_at) {
        drop(c);
        continue;
      }
      if (c.parser.close) {
        drop(c);
        if (open_conn()) ++reconnects;
        continue;
      }
      start(c);
      if (!try_send(c)) {
        ++errors;
        drop(c);
      }
    }
    if (now_ns() > stop_at + u64(10e9)) break;  // answers that never end
  }
  if (!o.dump.empty()) {
    FILE* f = std::fopen(o.dump.c_str(), "w");
    if (!f) die("cannot write " + o.dump);
    for (std::size_t i = 0; i < starts.size(); ++i)
      std::fprintf(f, "%llu %llu %llu\n", (unsigned long long)starts[i], (unsigned long long)ttfb[i],
                   (unsigned long long)total[i]);
    std::fclose(f);
  }
  double secs = o.duration;
  std::printf(
      "{\"mode\":\"ttfb\",\"conns\":%d,\"requests\":%zu,\"rps\":%.1f,\"errors\":%llu,\"non200\":%llu,"
      "\"reconnects\":%llu,\"ttfb_p50_us\":%.1f,\"ttfb_p90_us\":%.1f,\"ttfb_p99_us\":%.1f,\"ttfb_max_us\":%.1f,"
      "\"total_p50_us\":%.1f,\"total_p99_us\":%.1f,\"total_p999_us\":%.1f}\n",
      o.conns, ttfb.size(), double(ttfb.size()) / secs, (unsigned long long)errors, (unsigned long long)non200,
      (unsigned long long)reconnects, pct(ttfb, 50) / 1e3, pct(ttfb, 90) / 1e3, pct(ttfb, 99) / 1e3,
      pct(ttfb, 100) / 1e3, pct(total, 50) / 1e3, pct(total, 99) / 1e3, pct(total, 99.9) / 1e3);
  return 0;
}

// ------------------------------------------------------------- streams mode

int run_streams(const options& o) {
  const std::string req = build_request(o);
  std::vector<std::unique_ptr<conn>> by_fd;
  std::vector<u64> delays;  // ns, one per stamped event
  std::vector<u64> arrivals;  // ns since start, one per stamped event (for --dump)
  delays.reserve(std::size_t(o.streams) * 16);
  const u64 stall_ns = u64(o.stall_ms * 1e6);
  u64 late = 0, max_delay = 0, events = 0;
  int opened = 0, completed = 0, failed = 0, non200 = 0, receiving = 0, peak_receiving = 0, open = 0;
  long peak_rss = 0;
  const u64 t0 = now_ns();
  const u64 ramp_ns = u64(o.ramp * 1e9);
  const u64 deadline = t0 + u64(o.timeout * 1e9);
  u64 next_sample = t0;
  u64 all_open_at = 0;

  auto drop = [&](conn& c, bool ok) {
    if (c.receiving) --receiving;
    epoll_ctl(epfd, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    (ok ? completed : failed)++;
    by_fd[c.fd].reset();
    --open;
  };
  auto try_send = [&](conn& c) -> bool {
    const auto r = send_rest(c, req);
    if (r == sent::done) watch_fd(c.fd, false, EPOLL_CTL_MOD);
    return r != sent::failed;
  };

  std::vector<epoll_event> evs(1024);
  char buf[65536];
  for (;;) {
    u64 now = now_ns();
    // Open the streams that are due.
    while (opened < o.streams) {
      u64 due = t0 + (o.streams > 1 ? ramp_ns * u64(opened) / u64(o.streams - 1) : 0);
      if (due > now) break;
      ++opened;
      int fd = connect_to(o.port);
      if (fd < 0) {
        ++failed;
        continue;
      }
      if (std::size_t(fd) >= by_fd.size()) by_fd.resize(std::size_t(fd) * 2 + 16);
      by_fd[fd] = std::make_unique<conn>();
      by_fd[fd]->fd = fd;
      by_fd[fd]->sent_at = now;
      ++open;
      watch_fd(fd, true, EPOLL_CTL_ADD);
    }
    if (opened == o.streams && !all_open_at) all_open_at = now;
    if (now >= next_sample) {
      long sum = 0;
      for (int pid : o.watch) sum += rss_kb(pid);
      peak_rss = std::max(peak_rss, sum);
      next_sample = now + 100000000u;
    }
    if (opened == o.streams && open == 0) break;
    if (now > deadline) break;

    int n = epoll_wait(epfd, evs.data(), int(evs.size()), opened < o.streams ? 1 : 50);
    now = now_ns();
    for (int k = 0; k < n; ++k) {
      int fd = evs[k].data.fd;
      if (std::size_t(fd) >= by_fd.size() || !by_fd[fd]) continue;
      conn& c = *by_fd[fd];
      if (evs[k].events & EPOLLOUT) {
        if (!try_send(c)) {
          drop(c, false);
          continue;
        }
      }
      if (!(evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      ssize_t r = ::recv(fd, buf, sizeof buf, 0);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        drop(c, false);
        continue;
      }
      bool was_head = c.parser.state == response_parser::st::head;
      c.parser.feed(buf, std::size_t(r), [&](const char* p, std::size_t len) {
        // Split into lines; a line ": t=<ns>" stamps the event that follows.
        while (len) {
          const char* nl = static_cast<const char*>(std::memchr(p, '\n', len));
          std::size_t take = nl ? std::size_t(nl - p) : len;
          c.line.append(p, take);
          if (!nl) return;
          if (c.line.rfind(": t=", 0) == 0) {
            u64 sent = std::strtoull(c.line.c_str() + 4, nullptr, 10);
            u64 d = now > sent ? now - sent : 0;
            delays.push_back(d);
            if (!o.dump.empty()) arrivals.push_back(now - t0);
            ++events;
            if (d > stall_ns) ++late;
            max_delay = std::max(max_delay, d);
          }
          c.line.clear();
          p += take + 1;
          len -= take + 1;
        }
      });
      if (was_head && c.parser.state != response_parser::st::head) {
        if (c.parser.status != 200) ++non200;
        c.receiving = true;
        if (++receiving > peak_receiving) peak_receiving = receiving;
      }
      if (c.parser.state == response_parser::st::done) drop(c, c.parser.status == 200);
    }
  }
  int unfinished = open;
  double elapsed = double(now_ns() - t0) / 1e9;
  if (!o.dump.empty()) {
    FILE* f = std::fopen(o.dump.c_str(), "w");
    if (!f) die("cannot write " + o.dump);
    for (std::size_t i = 0; i < arrivals.size(); ++i)
      std::fprintf(f, "%llu %llu\n", (unsigned long long)arrivals[i], (unsigned long long)delays[i]);
    std::fclose(f);
  }
  std::printf(
      "{\"mode\":\"streams\",\"streams\":%d,\"opened\":%d,\"completed\":%d,\"failed\":%d,\"unfinished\":%d,"
      "\"non200\":%d,\"peak_concurrent\":%d,\"events\":%llu,\"late\":%llu,\"max_delay_ms\":%.2f,"
      "\"p50_delay_ms\":%.3f,\"p99_delay_ms\":%.3f,\"peak_rss_kb\":%ld,\"elapsed_s\":%.2f}\n",
      o.streams, opened, completed, failed, unfinished, non200, peak_receiving, (unsigned long long)events,
      (unsigned long long)late, double(max_delay) / 1e6, pct(delays, 50) / 1e6, pct(delays, 99) / 1e6, peak_rss,
      elapsed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (argc < 2) die("usage: bench_client ttfb|streams --port P ... (see the comment at the top of bench/client.cpp)");
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--port") o.port = std::stoi(val());
    else if (a == "--path") o.path = val();
    else if (a == "--headers-file") o.headers_file = val();
    else if (a == "--body-file") o.body_file = val();
    else if (a == "--conns") o.conns = std::stoi(val());
    else if (a == "--duration") o.duration = std::stod(val());
    else if (a == "--warmup") o.warmup = std::stod(val());
    else if (a == "--streams") o.streams = std::stoi(val());
    else if (a == "--ramp") o.ramp = std::stod(val());
    else if (a == "--stall-ms") o.stall_ms = std::stod(val());
    else if (a == "--timeout") o.timeout = std::stod(val());
    else if (a == "--watch-pid") o.watch.push_back(std::stoi(val()));
    else if (a == "--dump") o.dump = val();
    else die("unknown option " + a);
  }
  if (!o.port || o.headers_file.empty() || o.body_file.empty()) die("--port, --headers-file and --body-file are required");
  signal(SIGPIPE, SIG_IGN);
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (o.mode == "ttfb") return run_ttfb(o);
  if (o.mode == "streams") return run_streams(o);
  die("unknown mode " + o.mode);
}

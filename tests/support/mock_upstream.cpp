#include "support/mock_upstream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <stdexcept>

#include "common/headers.hpp"

namespace passgate::test {

namespace http = boost::beast::http;

std::vector<std::string> recorded_request::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : headers)
    if (hdr::iequals(n, name)) out.push_back(v);
  return out;
}

std::optional<std::string> recorded_request::get(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (hdr::iequals(n, name)) return v;
  return std::nullopt;
}

struct mock_upstream::impl {
  int listen_fd = -1;
  SSL_CTX* tls = nullptr;
};

namespace {

// One accepted connection, plain or TLS, with blocking reads and writes.
struct conn {
  int fd;
  SSL* ssl = nullptr;
  ~conn() {
    if (ssl) SSL_free(ssl);
  }
  long read(char* buf, std::size_t n) {
    if (ssl) {
      int r = SSL_read(ssl, buf, static_cast<int>(n));
      return r > 0 ? r : 0;
    }
    auto r = ::recv(fd, buf, n, 0);
    return r > 0 ? r : 0;
  }
  bool write(std::string_view data) {
    while (!data.empty()) {
      long r = ssl ? SSL_write(ssl, data.data(), static_cast<int>(data.size()))
                   : ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (r <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(r));
    }
    return true;
  }
  // True once the peer closed or reset the connection (checked without blocking).
  bool peer_gone() {
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) return true;
    char c;
    return ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
  }
};

std::string chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

}  // namespace

mock_upstream::mock_upstream(std::optional<tls_files> tls) : impl_(std::make_unique<impl>()) {
  if (tls) {
    impl_->tls = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(impl_->tls, tls->cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(impl_->tls, tls->key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      throw std::runtime_error("mock upstream: cannot load TLS files");
  }
  impl_->listen_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(impl_->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(impl_->listen_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(impl_->listen_fd, 512) != 0)
    throw std::runtime_error("mock upstream: cannot listen");
  socklen_t len = sizeof a;
  ::getsockname(impl_->listen_fd, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

mock_upstream::~mock_upstream() {
  stopping_ = true;
  ::shutdown(impl_->listen_fd, SHUT_RDWR);
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  cv_.notify_all();
  acceptor_.join();
  for (auto& t : workers_) t.join();
  for (int fd : open_fds_) ::close(fd);
  ::close(impl_->listen_fd);
  if (impl_->tls) SSL_CTX_free(impl_->tls);
}

std::string mock_upstream::url() const {
  return (impl_->tls ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_);
}

void mock_upstream::on_request(handler h) {
  std::lock_guard lock(mu_);
  handler_ = std::move(h);
}

std::vector<recorded_request> mock_upstream::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

recorded_request mock_upstream::last_request() const {
  std::lock_guard lock(mu_);
  if (requests_.empty()) throw std::runtime_error("mock upstream: no request received");
  return requests_.back();
}

bool mock_upstream::wait_for_requests(std::size_t n, int seconds) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::seconds(seconds), [&] { return requests_.size() >= n; });
}

void mock_upstream::release(std::size_t index) {
  {
    std::lock_guard lock(mu_);
    released_ = std::max(released_, index);
  }
  cv_.notify_all();
}

bool mock_upstream::wait_for_cancelled(std::size_t n, int seconds) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::seconds(seconds), [&] { return cancelled_ >= n; });
}

bool mock_upstream::wait_for_closed(std::size_t n, int seconds) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::seconds(seconds), [&] { return closed_ >= n; });
}

std::size_t mock_upstream::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

void mock_upstream::accept_loop() {
  while (!stopping_) {
    int fd = ::accept(impl_->listen_fd, nullptr, nullptr);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++accepted_;
    std::lock_guard lock(mu_);
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void mock_upstream::serve(int fd) {
  conn c{fd};
  if (impl_->tls) {
    c.ssl = SSL_new(impl_->tls);
    SSL_set_fd(c.ssl, fd);
    if (SSL_accept(c.ssl) != 1) {
      ::shutdown(fd, SHUT_RDWR);
      return;
    }
  }
  std::string buf;
  char tmp[65536];
  while (!stopping_) {
    http::request_parser<http::string_body> p;
    p.body_limit(1ull << 31);
    p.header_limit(1u << 20);
    boost::system::error_code ec;
    while (!p.is_done()) {
      if (!buf.empty()) {
        auto n = p.put(boost::asio::buffer(buf), ec);
        buf.erase(0, n);
        if (ec == http::error::need_more) ec = {};
        else if (ec) return;
        if (p.is_done()) break;
        if (n > 0 && !buf.empty()) continue;
      }
      long n = c.read(tmp, sizeof tmp);
      if (n <= 0) return;
      buf.append(tmp, static_cast<std::size_t>(n));
    }
    recorded_request rec;
    const auto& m = p.get();
    rec.method = std::string(m.method_string());
    rec.target = std::string(m.target());
    for (const auto& f : m) rec.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    rec.body = m.body();
    handler h;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(rec);
      h = handler_;
    }
    cv_.notify_all();
    mock_response r;
    if (h) r = h(rec);
    else {
      r.headers = {{"content-type", "application/json"}};
      r.body = R"({"ok":true})";
    }

    using mode = mock_response::mode;
    if (r.how == mode::reset) {
      linger l{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      std::lock_guard lock(mu_);
      std::erase(open_fds_, fd);
      ::close(fd);  // with SO_LINGER 0: an RST
      return;
    }
    if (r.how == mode::close) {
      ::shutdown(fd, SHUT_RDWR);
      return;
    }
    if (r.how == mode::no_answer) {
      while (!stopping_) {
        if (c.peer_gone()) {
          {
            std::lock_guard lock(mu_);
            ++cancelled_;
          }
          cv_.notify_all();
          return;
        }
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(20));
      }
      return;
    }
    std::string head = "HTTP/1.1 " + std::to_string(r.status) + " X\r\n";
    bool chunked = r.how == mode::sse || r.chunked;
    if (r.how == mode::sse) head += "content-type: " + r.stream_type + "\r\ncache-control: no-cache\r\n";
    for (const auto& [n, v] : r.headers) head += n + ": " + v + "\r\n";
    head += chunked ? "transfer-encoding: chunked\r\n" : "content-length: " + std::to_string(r.body.size()) + "\r\n";
    if (r.close_after) head += "connection: close\r\n";
    head += "\r\n";
    if (r.how == mode::sse) {
      if (!c.write(head)) return;
      for (std::size_t i = 0; i < r.events.size(); ++i) {
        if (r.gated && i > 0) {
          for (;;) {
            std::unique_lock lock(mu_);
            if (released_ >= i || stopping_) break;
            lock.unlock();
            if (c.peer_gone()) {
              {
                std::lock_guard l2(mu_);
                ++cancelled_;
              }
              cv_.notify_all();
              return;
            }
            lock.lock();
            cv_.wait_for(lock, std::chrono::milliseconds(10));
          }
        }
        if (!c.write(chunk(r.events[i]))) return;
      }
      if (!c.write("0\r\n\r\n")) return;
    } else if (chunked) {
      std::string out = head;
      // Two chunks, to exercise re-framing.
      auto half = r.body.size() / 2;
      if (half) out += chunk(std::string_view(r.body).substr(0, half));
      if (r.body.size() - half) out += chunk(std::string_view(r.body).substr(half));
      out += "0\r\n\r\n";
      if (!c.write(out)) return;
    } else {
      if (!c.write(rec.method == "HEAD" ? head : head + r.body)) return;
    }
    if (r.close_after || r.drop_after || !p.keep_alive()) {
      ::shutdown(fd, SHUT_RDWR);
      {
        std::lock_guard lock(mu_);
        ++closed_;
      }
      cv_.notify_all();
      return;
    }
  }
}

}  // namespace passgate::test

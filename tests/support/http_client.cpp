#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <stdexcept>

#include "common/headers.hpp"

namespace passgate::test {

namespace http = boost::beast::http;

std::optional<std::string> response::get(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (hdr::iequals(n, name)) return v;
  return std::nullopt;
}

std::size_t response::count(std::string_view name) const {
  std::size_t c = 0;
  for (const auto& [n, v] : headers) c += hdr::iequals(n, name);
  return c;
}

struct client::impl {
  int fd = -1;
  std::string buf;
  std::optional<http::response_parser<http::string_body>> parser;

  // Reads more bytes into buf; false on EOF/error. Throws after the deadline.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        throw std::runtime_error("test client: timed out waiting for the gateway (" + std::to_string(buf.size()) +
                                 " bytes unparsed: " + buf.substr(0, 64) + ")");
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000)));
      if (r == 0) continue;
      char tmp[65536];
      auto n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<std::size_t>(n));
      return true;
    }
  }

  // Feeds buffered bytes to the parser until `done` says stop or more are needed.
  template <class Done>
  void pump(Done done, std::chrono::steady_clock::time_point deadline) {
    while (!done()) {
      boost::system::error_code ec;
      std::size_t n = 0;
      if (!buf.empty()) {
        n = parser->put(boost::asio::buffer(buf), ec);
        buf.erase(0, n);
        if (ec == http::error::need_more) ec = {};
        if (ec) throw std::runtime_error("test client: bad response: " + ec.message());
        if (done()) return;
        if (n > 0 && !buf.empty()) continue;
      }
      if (!fill(deadline)) {
        if (parser->need_eof()) {
          parser->put_eof(ec);
          return;
        }
        throw std::runtime_error("test client: connection closed mid-response");
      }
    }
  }
};

client::client(std::uint16_t port) : impl_(std::make_unique<impl>()) {
  impl_->fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(impl_->fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error("test client: cannot connect to port " + std::to_string(port));
  int one = 1;
  ::setsockopt(impl_->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

client::~client() { close(); }

void client::close() {
  if (impl_->fd >= 0) ::close(impl_->fd);
  impl_->fd = -1;
}

void client::send(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(impl_->fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("test client: send failed");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

static response to_response(const http::response<http::string_body>& m) {
  response r;
  r.status = m.result_int();
  for (const auto& f : m) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  r.body = m.body();
  return r;
}

response client::read_head(int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  impl_->parser.emplace();
  impl_->parser->body_limit(1ull << 32);
  impl_->parser->eager(true);
  impl_->pump([&] { return impl_->parser->is_header_done(); }, deadline);
  return to_response(impl_->parser->get());
}

response client::read_response(int seconds, bool head_request) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  if (!impl_->parser) {  // else: finish the response read_head/read_events began
    impl_->parser.emplace();
    impl_->parser->body_limit(1ull << 32);
    impl_->parser->eager(true);
    impl_->parser->skip(head_request);
  }
  impl_->pump([&] { return impl_->parser->is_done(); }, deadline);
  auto r = to_response(impl_->parser->get());
  impl_->parser.reset();
  return r;
}

std::string client::read_events(std::size_t count, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  auto events = [&] {
    const auto& b = impl_->parser->get().body();
    std::size_t c = 0;
    for (auto pos = b.find("\n\n"); pos != std::string::npos; pos = b.find("\n\n", pos + 2)) ++c;
    return c;
  };
  impl_->pump([&] { return events() >= count || impl_->parser->is_done(); }, deadline);
  if (events() < count) throw std::runtime_error("test client: stream ended early");
  return impl_->parser->get().body();
}

std::string client::read_bytes(std::size_t count, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  auto size = [&] { return impl_->parser->get().body().size(); };
  impl_->pump([&] { return size() >= count || impl_->parser->is_done(); }, deadline);
  if (size() < count) throw std::runtime_error("test client: stream ended early");
  return impl_->parser->get().body();
}

bool client::body_done() const { return impl_->parser && impl_->parser->is_done(); }

bool client::wait_closed(int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  try {
    while (impl_->fill(deadline)) {
    }
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string make_request(std::string_view method, std::string_view target, const header_list& headers,
                         std::string_view body) {
  std::string r = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nhost: gateway.test\r\n";
  bool has_length = false;
  for (const auto& [n, v] : headers) {
    r += n + ": " + v + "\r\n";
    has_length |= hdr::iequals(n, "content-length") || hdr::iequals(n, "transfer-encoding");
  }
  if (!has_length && (!body.empty() || method == "POST")) r += "content-length: " + std::to_string(body.size()) + "\r\n";
  r += "\r\n";
  r += body;
  return r;
}

response fetch(std::uint16_t port, std::string_view method, std::string_view target, const header_list& headers,
               std::string_view body) {
  client c(port);
  c.send(make_request(method, target, headers, body));
  return c.read_response(30, method == "HEAD");
}

}  // namespace passgate::test

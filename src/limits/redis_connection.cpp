#include "limits/redis_connection.hpp"

#include <hiredis/hiredis.h>

#include <cerrno>
#include <charconv>
#include <optional>

namespace passgate::limits {
namespace {

[[noreturn]] void bad_url(std::string_view why) {
  throw std::invalid_argument("limits.redis_url: " + std::string(why) +
                              "; expected redis://[[user]:password@]host[:port][/db]");
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Userinfo may be percent-encoded (a password with '@' or ':' in it).
std::string percent_decode(std::string_view s, std::string_view what) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) bad_url(std::string(what) + " has a bad %-escape");
    int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) bad_url(std::string(what) + " has a bad %-escape");
    out += char(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::optional<int> number(std::string_view s, int lo, int hi) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

redis_reply copy(const redisReply* r) {
  redis_reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.k = redis_reply::kind::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.k = r->type == REDIS_REPLY_STRING   ? redis_reply::kind::string
              : r->type == REDIS_REPLY_STATUS ? redis_reply::kind::status
                                              : redis_reply::kind::error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.k = redis_reply::kind::array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy(r->element[i]));
      break;
    default: out.k = redis_reply::kind::nil;
  }
  return out;
}

}  // namespace

redis_target parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.starts_with("rediss://")) bad_url("TLS (rediss://) is not supported");
  if (!url.starts_with(scheme)) bad_url("not a redis:// URL");
  std::string_view rest = url.substr(scheme.size());
  redis_target t;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) bad_url("the credentials must be [user]:password");
    t.user = percent_decode(userinfo.substr(0, colon), "the user");
    t.password = percent_decode(userinfo.substr(colon + 1), "the password");
    if (t.password.empty()) bad_url("the password is empty");
  }
  std::string_view hostport = rest, path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }
  std::string_view port;
  if (hostport.starts_with('[')) {  // [::1]:6379
    auto close = hostport.find(']');
    if (close == std::string_view::npos) bad_url("an IPv6 host lacks its ']'");
    t.host = std::string(hostport.substr(1, close - 1));
    auto after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') bad_url("a port must follow the host after ':'");
      port = after.substr(1);
      if (port.empty()) bad_url("the port is empty");
    }
  } else if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    t.host = std::string(hostport.substr(0, colon));
    port = hostport.substr(colon + 1);
    if (port.empty()) bad_url("the port is empty");
  } else {
    t.host = std::string(hostport);
  }
  if (t.host.empty()) bad_url("the host is missing");
  if (!port.empty()) {
    auto p = number(port, 1, 65535);
    if (!p) bad_url("the port is not a number from 1 to 65535");
    t.port = *p;
  }
  if (!path.empty()) {
    auto db = number(path, 0, 1'000'000);
    if (!db) bad_url("the database after '/' is not a number");
    t.db = *db;
  }
  t.display = "redis://" + (t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host) + ":" +
              std::to_string(t.port) + (t.db ? "/" + std::to_string(t.db) : std::string());
  return t;
}

redis_connection::redis_connection(const redis_target& target, std::chrono::milliseconds timeout)
    : password_(target.password), timeout_(timeout) {
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  c_ = redisConnectWithTimeout(target.host.c_str(), target.port, tv);
  if (!c_) throw redis_error("out of memory for a Redis connection");
  // A throw below leaves the constructor without the destructor: free the
  // context (and its socket) on the way out, or every failed attempt leaks one.
  struct free_on_throw {
    redisContext*& c;
    bool armed = true;
    ~free_on_throw() {
      if (armed && c) {
        redisFree(c);
        c = nullptr;
      }
    }
  } guard{c_};
  if (c_->err) fail(c_->errstr);
  // The connect timeout does not bound reads and writes: set it for them too,
  // so a server that hangs fails a round trip instead of stalling the thread.
  if (redisSetTimeout(c_, tv) != REDIS_OK) fail(c_->errstr);
  if (!target.password.empty()) {
    auto r = target.user.empty() ? call({"AUTH", target.password}) : call({"AUTH", target.user, target.password});
    // The server's words only: some versions quote what they were sent.
    if (r.is_error()) fail("authentication refused: " + r.str);
  }
  if (target.db) {
    auto r = call({"SELECT", std::to_string(target.db)});
    if (r.is_error()) fail("SELECT " + std::to_string(target.db) + " refused: " + r.str);
  }
  guard.armed = false;
}

redis_connection::~redis_connection() {
  if (c_) redisFree(c_);
}

void redis_connection::fail(std::string_view what) { throw redis_error(scrub(std::string(what))); }

std::string redis_connection::scrub(std::string text) const {
  if (password_.empty()) return text;
  for (auto at = text.find(password_); at != std::string::npos; at = text.find(password_, at + 3))
    text.replace(at, password_.size(), "***");
  return text;
}

void redis_connection::append(const std::vector<std::string>& argv) {
  std::vector<const char*> ptrs;
  std::vector<std::size_t> lens;
  ptrs.reserve(argv.size());
  lens.reserve(argv.size());
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAppendCommandArgv(c_, int(argv.size()), ptrs.data(), lens.data()) != REDIS_OK) fail(c_->errstr);
}

redis_reply redis_connection::read() {
  void* raw = nullptr;
  if (redisGetReply(c_, &raw) != REDIS_OK || !raw) {
    if (c_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
      fail("no reply within " + std::to_string(timeout_.count()) + " ms");
    fail(c_->err ? c_->errstr : "no reply");
  }
  auto* r = static_cast<redisReply*>(raw);
  redis_reply out = copy(r);
  freeReplyObject(r);
  if (out.is_error()) out.str = scrub(std::move(out.str));
  return out;
}

}  // namespace passgate::limits

#pragma once
// One blocking connection to Redis (hiredis 0.14), for the redis limiter's own
// client thread: connect with a timeout (and AUTH, SELECT), pipeline commands
// (append several, then read their replies in order), every read bounded by the
// same timeout. Replies are copied out of hiredis so that nothing else includes
// it. Error texts never carry the password.
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;

namespace passgate::limits {

// redis://[[user]:password@]host[:port][/db]
struct redis_target {
  std::string host;
  int port = 6379;
  std::string user;      // empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
  int db = 0;
  std::string display;   // redis://host:port/db, for logs: no credentials
};
// Throws std::invalid_argument; the text never repeats the URL (it may hold a password).
redis_target parse_redis_url(std::string_view url);

struct redis_reply {
  enum class kind { nil, integer, string, status, error, array };
  kind k = kind::nil;
  long long integer = 0;
  std::string str;  // string, status and error
  std::vector<redis_reply> elements;
  bool is_error() const { return k == kind::error; }
};

// The connection is unusable after one of these (I/O error, timeout, refused AUTH).
class redis_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class redis_connection {
 public:
  // Connects, authenticates and selects the database; throws redis_error.
  redis_connection(const redis_target& target, std::chrono::milliseconds timeout);
  ~redis_connection();
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  // Queues a command in the output buffer; sent by the next read().
  void append(const std::vector<std::string>& argv);
  // The next reply in order; throws redis_error when the connection fails.
  redis_reply read();
  redis_reply call(const std::vector<std::string>& argv) {
    append(argv);
    return read();
  }

 private:
  [[noreturn]] void fail(std::string_view what);
  std::string scrub(std::string text) const;

  redisContext* c_ = nullptr;
  std::string password_;  // only to scrub it from error texts
  std::chrono::milliseconds timeout_;
};

}  // namespace passgate::limits

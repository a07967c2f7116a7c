#pragma once
// An in-test upstream (HTTP or TLS) that records every request it receives and
// answers as the test scripts it: JSON, SSE event by event (optionally gated so
// that event N+1 waits until the test has seen event N), errors, silence, resets.
// Thread per connection, blocking I/O: simple and deterministic.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace passgate::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct recorded_request {
  std::string method;
  std::string target;
  header_list headers;  // names as received, in order
  std::string body;
  // Every value of a header, matched case-insensitively.
  std::vector<std::string> all(std::string_view name) const;
  std::optional<std::string> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
};

struct mock_response {
  enum class mode {
    normal,      // status, headers, body (content-length unless chunked)
    sse,         // status 200 text/event-stream, chunked, one chunk per event
    no_answer,   // read the request, then say nothing (until the test ends)
    reset,       // read the request, then reset the connection
    close,       // read the request, then close without answering
  };
  mode how = mode::normal;
  int status = 200;
  header_list headers;
  std::string body;
  bool chunked = false;                // normal mode: send the body chunked
  bool close_after = false;            // close after answering, saying "connection: close"
  bool drop_after = false;             // close after answering without saying so (a stale keep-alive)
  std::vector<std::string> events;     // sse mode: raw event texts ("event: x\ndata: …\n\n"), or binary frames
  std::string stream_type = "text/event-stream";  // sse mode: the content-type (Bedrock's event stream)
  bool gated = false;                  // sse: event i>0 waits for release(i)
};

class mock_upstream {
 public:
  struct tls_files {
    std::string cert_file;
    std::string key_file;
  };
  explicit mock_upstream(std::optional<tls_files> tls = std::nullopt);
  ~mock_upstream();

  std::uint16_t port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:PORT" or "https://localhost:PORT"

  using handler = std::function<mock_response(const recorded_request&)>;
  void on_request(handler h);

  std::vector<recorded_request> requests() const;
  recorded_request last_request() const;
  // Waits (bounded) until n requests were received; false on time-out.
  bool wait_for_requests(std::size_t n, int seconds = 20) const;

  // Gated SSE: allow event `index` to be sent.
  void release(std::size_t index);
  // Gated SSE streams and unanswered requests abandoned because the gateway
  // closed the connection.
  bool wait_for_cancelled(std::size_t n, int seconds = 20) const;
  std::size_t cancelled() const;
  std::size_t connections_accepted() const { return accepted_.load(); }
  // Waits (bounded) until the mock has closed n connections itself.
  bool wait_for_closed(std::size_t n, int seconds = 20) const;

 private:
  struct impl;
  void accept_loop();
  void serve(int fd);

  std::unique_ptr<impl> impl_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> accepted_{0};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<recorded_request> requests_;
  std::size_t released_ = 0;
  std::size_t cancelled_ = 0;
  std::size_t closed_ = 0;
  handler handler_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::vector<std::thread> workers_;
  std::vector<int> open_fds_;
};

}  // namespace passgate::test

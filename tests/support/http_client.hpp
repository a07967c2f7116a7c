#pragma once
// A small blocking HTTP/1.1 client for tests: raw requests in, parsed responses
// out, and event-by-event reading of streamed bodies.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/mock_upstream.hpp"

namespace passgate::test {

struct response {
  int status = 0;
  header_list headers;
  std::string body;
  std::optional<std::string> get(std::string_view name) const;
  std::size_t count(std::string_view name) const;
};

class client {
 public:
  explicit client(std::uint16_t port);
  ~client();
  // Sends bytes as they are (a whole request, or part of one).
  void send(std::string_view bytes);
  // Reads one whole response (or the rest of the one read_head/read_events began).
  // Throws on a closed connection or after `seconds`. HEAD answers have no body.
  response read_response(int seconds = 30, bool head_request = false);
  // Streaming: the head first, then body bytes as they come.
  response read_head(int seconds = 30);
  // Reads until the body so far contains `count` occurrences of "\n\n" (SSE events)
  // and returns the body so far. Throws on time-out or end of stream.
  std::string read_events(std::size_t count, int seconds = 30);
  // The same for a binary stream: until the body so far holds `count` bytes.
  std::string read_bytes(std::size_t count, int seconds = 30);
  bool body_done() const;
  // True once the server closed the connection (waits up to `seconds`).
  bool wait_closed(int seconds = 30);
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Builds a request: "POST /path HTTP/1.1", host, the given headers, content-length.
std::string make_request(std::string_view method, std::string_view target, const header_list& headers,
                         std::string_view body = {});

// One request on a fresh connection.
response fetch(std::uint16_t port, std::string_view method, std::string_view target, const header_list& headers = {},
               std::string_view body = {});

}  // namespace passgate::test

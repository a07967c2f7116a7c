#pragma once
// One downstream (client) connection: reads requests, routes them, and relays
// them upstream or answers them locally. Lives on one I/O thread.
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include "http/arena.hpp"
#include "http/view_body.hpp"
#include "policy/credential_rule.hpp"
#include "proxy/gateway.hpp"
#include "usage/usage_tap.hpp"

namespace passgate::proxy {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// Header fields live in the connection's arena (see http/arena.hpp).
using fields_allocator = http::arena_allocator<char>;
using request_parser = bhttp::request_parser<http::view_body, fields_allocator>;
using response_parser = bhttp::response_parser<http::view_body, fields_allocator>;

// A view of a list of buffers to write. Asio copies the buffer sequence it is
// given into its write operation: a vector would be copied (a malloc per write),
// a span is not.
inline std::span<const asio::const_buffer> pieces(const std::vector<asio::const_buffer>& v) { return v; }

// Starts a session for an accepted socket on the worker's thread.
void start_session(worker& w, tcp::socket socket);

class session : public watched, public std::enable_shared_from_this<session> {
 public:
  session(worker& w, tcp::socket socket);
  ~session() override;
  static awaitable<void> run(std::shared_ptr<session> self);

  void on_deadline() override;
  void on_drain() override;
  void on_tick() override;

 private:
  enum class next { keep_alive, close };

  // session.cpp: the connection loop and local answers.
  awaitable<next> handle_request();
  awaitable<error_code> read_request_head();
  awaitable<next> answer_local(gateway_error e, std::string_view message);
  awaitable<next> answer(int status, std::string_view content_type, std::string_view body, bool close);
  awaitable<next> answer_admin(const local_handler& h);
  awaitable<error_code> write_client();
  awaitable<next> serve();
  awaitable<void> linger();
  void finish_record(int status, std::string_view outcome);
  void log_access(const usage::spend_record& r, std::uint64_t bytes);

  // relay.cpp: the proxy pipeline.
  awaitable<next> relay(route_runtime& rt, std::string_view rest);
  awaitable<bool> send_request(route_runtime& rt);
  awaitable<bool> connect_upstream(route_runtime& rt, bool allow_pooled);
  awaitable<bool> read_response_head();
  awaitable<next> relay_response(route_runtime& rt);
  void frame_views(bool chunked, bool final_chunk);
  void feed_tap();
  void abandon_response(int status, std::string_view outcome);
  void apply_usage();
  void watch_client();
  void unwatch_client();
  void close_upstream();
  void release_upstream(route_runtime& rt);

  worker& w_;
  tcp::socket client_;
  beast::flat_buffer in_;     // bytes from the client
  beast::flat_buffer up_in_;  // bytes from the upstream
  bool idle_ = true;  // between requests, with nothing of the next one received
  bool timed_out_ = false;
  bool client_gone_ = false;
  bool closing_ = false;
  bool linger_ = false;  // unread request body when closing: drain before close
  unsigned watch_gen_ = 0;
  bool watching_ = false;
  bool awaiting_upstream_ = false;  // request sent, answer not finished: watch the client

  // Per request, reused across requests on this connection.
  http::arena fields_arena_;  // declared before the parsers that use it
  std::optional<request_parser> req_;
  std::optional<response_parser> res_;
  std::vector<policy::header_view> header_views_;
  policy::policy_result policy_;
  std::string target_;
  std::string head_;
  std::string frames_;
  std::string flat_;  // a write of many small pieces, copied into one
  std::vector<asio::const_buffer> views_;
  std::vector<asio::const_buffer> out_;
  usage::spend_record record_;
  std::uint64_t bytes_out_ = 0;
  clock::time_point started_{};
  usage::usage_tap tap_;  // reads a copy of the response body; reused answer after answer
  bool tapping_ = false;  // tap_ was started for the current response

  upstream::connection_ptr up_;
  upstream::connection* connecting_ = nullptr;
  tcp::resolver* resolving_ = nullptr;
  bool up_reused_ = false;
};

}  // namespace passgate::proxy

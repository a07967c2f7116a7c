#pragma once
// One downstream (client) connection: reads requests, routes them, and relays
// them upstream or answers them locally. Lives on one I/O thread.
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>

#include "http/arena.hpp"
#include "http/flat_parser.hpp"
#include "http/request_checks.hpp"
#include "policy/credential_rule.hpp"
#include "proxy/gateway.hpp"
#include "proxy/request.hpp"
#include "usage/attribution.hpp"
#include "usage/usage_tap.hpp"

namespace passgate::proxy {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

using http::request_parser;   // heads kept flat in the connection's arena (http/flat_parser.hpp)
using http::response_parser;

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
  void on_cut() override;

 private:
  enum class next { keep_alive, close };

  // session.cpp: the connection loop, local answers and the one end of a request.
  awaitable<next> handle_request();
  awaitable<next> answer_head_error(error_code ec);
  awaitable<next> answer_head_problem();
  awaitable<next> answer_gateway_path(std::string_view target);
  awaitable<error_code> read_request_head();
  awaitable<next> answer_local(gateway_error e, std::string_view message, bool close = false);
  awaitable<next> answer(int status, std::string_view content_type, std::string_view body, bool close);
  awaitable<next> answer_admin(const local_handler& h);
  awaitable<error_code> write_client();
  awaitable<next> serve();
  awaitable<void> linger();
  // The one place a request ends, however it ends: releases the upstream
  // connection and the client watcher, closes the tap, then logs the request,
  // counts it and hands its row to the writer. Idempotent.
  void finish(int status, std::string_view outcome);
  void log_access(const usage::spend_record& r, std::uint64_t bytes);
  void shed_burst_memory();
  void settle_limits(std::int64_t now_ms);
  void release_parallel_slot();
  void note_attribution_headers();
  void feed_attribution();
  bool keep_row(std::int64_t now_ms);

  // relay.cpp: the proxy pipeline.
  awaitable<next> relay(route_runtime& rt, std::string_view rest);
  awaitable<std::optional<stop_reason>> forward(route_runtime& rt);
  awaitable<std::optional<stop_reason>> send_request(route_runtime& rt);
  awaitable<std::optional<stop_reason>> send_signed_request(route_runtime& rt);
  awaitable<std::optional<stop_reason>> read_body_more();
  awaitable<std::optional<stop_reason>> write_first(route_runtime& rt);
  std::optional<std::string_view> take_query_credential(const route_runtime& rt);  // why it is refused
  void note_reported_cost(std::string_view value);
  awaitable<std::optional<stop_reason>> connect_upstream(route_runtime& rt, bool allow_pooled);
  awaitable<std::optional<stop_reason>> read_response_head();
  awaitable<next> relay_response(route_runtime& rt);
  awaitable<next> end_early(const stop_reason& why);
  awaitable<next> answer_refusal();
  void append_ratelimit_headers(std::string& out) const;
  void frame_views(bool chunked, bool final_chunk);
  void feed_tap();
  bool apply_usage();
  void watch_client();
  void unwatch_client();
  void close_upstream();
  void release_upstream(route_runtime& rt);

  worker& w_;
  tcp::socket client_;
  beast::flat_buffer in_;     // bytes from the client
  beast::flat_buffer up_in_;  // bytes from the upstream
  // The connection's state.
  bool idle_ = true;  // between requests, with nothing of the next one received
  bool closing_ = false;
  bool linger_ = false;  // unread request body when closing: drain before close
  unsigned watch_gen_ = 0;
  bool watching_ = false;

  // The request in progress, and what it reuses from the one before.
  request rq_;
  http::arena fields_arena_;  // declared before the parsers that use it
  std::optional<request_parser> req_;
  std::optional<response_parser> res_;
  std::vector<policy::header_view> header_views_;  // the request's fields, in order (req_ fills it)
  std::vector<hdr::field> response_fields_;        // the answer's fields, in order (res_ fills it)
  std::optional<http::head_problem> head_problem_;  // what the edge refuses in this head
  policy::policy_result policy_;
  std::string target_;
  std::string head_;
  std::string frames_;
  std::string flat_;  // a write of many small pieces, copied into one
  std::string extra_headers_;  // whole header lines for the next answer (x-ratelimit-*, retry-after)
  error_dialect errors_ = error_dialect::anthropic;  // the shape of the gateway's own answers: the route's provider's
  std::string query_key_;      // a credential taken out of the URL (Gemini's ?key=)
  std::string path_model_;     // the model a Bedrock path names, for the row
  std::string signed_body_;    // a request body read whole to be signed (Bedrock)
  std::vector<asio::const_buffer> views_;
  // metadata.user_id from the request body, read as it is forwarded (JSON
  // bodies without a content-encoding only).
  usage::request_attribution attribution_;
  bool scan_body_ = false;
  std::vector<asio::const_buffer> out_;
  usage::usage_tap tap_;  // reads a copy of the response body; reused answer after answer

  upstream::connection_ptr up_;
  upstream::connection* connecting_ = nullptr;
  tcp::resolver* resolving_ = nullptr;
};

}  // namespace passgate::proxy

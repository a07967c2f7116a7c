#include "proxy/session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

#include "common/headers.hpp"
#include "common/request_id.hpp"
#include "http/parse_body.hpp"
#include "http/wire.hpp"
#include "policy/path_mapping.hpp"
#include "proxy/local_errors.hpp"

namespace passgate::proxy {

using namespace std::string_view_literals;

namespace {
constexpr std::size_t max_admin_body = 1 << 20;

// The route whose prefix the target starts with, followed by '/', '?' or nothing.
route_runtime* find_route(std::vector<route_runtime>& routes, std::string_view target, std::string_view& rest) {
  for (auto& rt : routes) {
    if (!target.starts_with(rt.prefix)) continue;
    auto after = target.substr(rt.prefix.size());
    if (after.empty() || after.front() == '/' || after.front() == '?') {
      rest = after;
      return &rt;
    }
  }
  return nullptr;
}
}  // namespace

void start_session(worker& w, tcp::socket socket) {
  auto s = std::make_shared<session>(w, std::move(socket));
  asio::co_spawn(w.ioc, session::run(std::move(s)), asio::detached);
}

session::session(worker& w, tcp::socket socket) : w_(w), client_(std::move(socket)) {
  error_code ec;
  client_.set_option(tcp::no_delay(true), ec);
  in_.reserve(4096);  // requests are small; larger bodies grow it as they stream
  w_.gw.active_connections.fetch_add(1, std::memory_order_relaxed);
}

session::~session() { w_.gw.active_connections.fetch_sub(1, std::memory_order_relaxed); }

awaitable<void> session::run(std::shared_ptr<session> self) {
  self->w_.dog.add(self.get());
  try {
    co_await self->serve();
    co_await self->linger();
  } catch (const std::exception& e) {
    spdlog::error("session failed: {}", e.what());
  }
  // A request cut short by a bug still ends through the one exit.
  if (self->rq_.state != request_state::finished)
    self->finish(self->rq_.record.status, self->rq_.cut ? outcome::shutdown : outcome::gateway_error);
  self->w_.dog.remove(self.get());
  self->close_upstream();
  error_code ec;
  self->client_.shutdown(tcp::socket::shutdown_both, ec);
  self->client_.close(ec);
}

// After an answer sent while the client was still sending its body: closing at
// once would make the kernel reset the connection, and the client could lose
// the answer. Stop sending, then read and discard for a short while (as nginx's
// lingering close does).
awaitable<void> session::linger() {
  if (!linger_) co_return;
  error_code ec;
  client_.shutdown(tcp::socket::shutdown_send, ec);
  expire_after(std::chrono::seconds(2));
  std::size_t discarded = 0;
  while (!ec && discarded < (8u << 20)) {
    auto [rec, n] = co_await client_.async_read_some(in_.prepare(16384), use_tuple);
    ec = rec;
    discarded += n;
  }
}

awaitable<session::next> session::serve() {
  while (!closing_) {
    auto n = co_await handle_request();
    if (n == next::close) break;
  }
  co_return next::close;
}

void session::on_deadline() {
  rq_.timed_out = true;
  error_code ec;
  client_.cancel(ec);
  if (up_) up_->cancel();
  if (connecting_) connecting_->cancel();
  if (resolving_) resolving_->cancel();
}

void session::on_cut() {
  rq_.cut = true;
  closing_ = true;
  on_deadline();
}

void session::on_drain() {
  closing_ = true;
  // Between requests, with nothing buffered: close now. Otherwise the current
  // request finishes and its response says connection: close.
  if (idle_ && in_.size() == 0) {
    error_code ec;
    client_.cancel(ec);
  }
}

awaitable<error_code> session::read_request_head() {
  const auto& L = w_.gw.cfg->limits;
  // The previous request's fields are gone with its parsers: rewind their arena.
  req_.reset();
  res_.reset();
  fields_arena_.rewind();
  req_.emplace(fields_arena_, header_views_);
  req_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(L.max_header_bytes, UINT32_MAX)));
  req_->body_limit(L.max_body_bytes);
  req_->sink = &views_;
  idle_ = in_.size() == 0;
  // The whole head must arrive within header_timeout_s of its first byte, however
  // it trickles: the idle timeout alone would let a client hold the connection
  // forever with a byte every minute.
  auto head_deadline = clock::time_point::max();
  if (!idle_) head_deadline = rq_.started + seconds(L.header_timeout_s);
  bool folded = false;  // a folded line in a part of the head already consumed
  head_problem_.reset();
  for (;;) {
    if (in_.size()) {
      error_code ec;
      const std::size_t n = req_->put(in_.data(), ec);
      // obs-fold is visible only in the raw bytes, and Beast takes whole lines
      // a put at a time: each put's lines are looked at before they are consumed.
      const std::string_view lines(static_cast<const char*>(in_.data().data()), n);
      if (!req_->is_header_done()) folded = folded || http::has_obs_fold(lines);
      if (!ec && req_->is_header_done()) {
        http::head_facts facts{header_views_, req_->version(), lines, L.max_header_count};
        head_problem_ = http::check_request_head(facts);
        if (!head_problem_ && folded)
          head_problem_ = http::head_problem{gateway_error::bad_request,
                                             "a header line is folded (obs-fold); send each header on one line"};
      }
      in_.consume(n);
      if (ec && ec != bhttp::error::need_more) co_return ec;
      if (req_->is_header_done()) co_return error_code{};
    }
    if (closing_ && idle_) co_return error_code(asio::error::shut_down);
    expire_at(std::min(clock::now() + seconds(L.idle_timeout_s), head_deadline));
    auto [ec, n] = co_await client_.async_read_some(http::read_space(in_, 8192), use_tuple);
    if (ec) co_return ec;
    in_.commit(n);
    if (idle_) {
      idle_ = false;
      rq_.started = clock::now();
      head_deadline = rq_.started + seconds(L.header_timeout_s);
    }
  }
}

// A large head or body burst leaves big buffers on a connection that may then
// sit idle for minutes; give them back between requests (and let the server
// hand the memory back to the system once enough was freed).
void session::shed_burst_memory() {
  constexpr std::size_t keep = 64 << 10;
  std::size_t freed = 0;
  auto buffer = [&](beast::flat_buffer& b) {
    if (b.capacity() <= keep) return;
    freed += b.capacity();
    b.shrink_to_fit();
  };
  auto text = [&](std::string& t) {
    if (t.capacity() <= keep) return;
    freed += t.capacity();
    std::string().swap(t);
  };
  buffer(in_);
  buffer(up_in_);
  text(head_);
  text(target_);
  text(flat_);
  text(frames_);
  text(signed_body_);
  if (freed) w_.gw.released_bytes.fetch_add(freed, std::memory_order_relaxed);
}

awaitable<session::next> session::handle_request() {
  // The common path (a head, then a route) has few awaits on purpose: GCC gives
  // each await's temporaries their own slot in the coroutine frame, and a frame
  // over 1020 bytes is never recycled by Asio's per-thread cache (it is a malloc
  // and a free per request). The rarer answers are coroutines of their own.
  shed_burst_memory();
  rq_ = request{};
  extra_headers_.clear();
  errors_ = error_dialect::anthropic;
  path_model_.clear();
  rq_.state = request_state::reading_head;
  rq_.started = clock::now();
  next_request_id(rq_.record.request_id);

  auto ec = co_await read_request_head();
  if (ec) co_return co_await answer_head_error(ec);
  rq_.state = request_state::routing;
  rq_.record.method = std::string(req_->method_string().substr(0, 32));  // a row, not a dump
  if (head_problem_) co_return co_await answer_head_problem();

  std::string_view target = req_->target();
  std::string_view rest;
  if (auto* rt = find_route(w_.gw.routes, target, rest)) co_return co_await relay(*rt, rest);
  co_return co_await answer_gateway_path(target);
}

awaitable<session::next> session::answer_head_error(error_code ec) {
  if (idle_) {  // closed, idle timeout or drain: there was no request
    rq_.state = request_state::finished;
    co_return next::close;
  }
  const auto& L = w_.gw.cfg->limits;
  if (ec == http::framing_errc::field_too_large)
    co_return co_await answer_local(gateway_error::headers_too_large, "a request header field is longer than 65535 bytes");
  if (ec == bhttp::error::header_limit)
    co_return co_await answer_local(gateway_error::headers_too_large,
                                    "request headers are larger than " + std::to_string(L.max_header_bytes) + " bytes");
  if (ec == bhttp::error::body_limit)
    co_return co_await answer_local(gateway_error::body_too_large,
                                    "request body is larger than " + std::to_string(L.max_body_bytes) + " bytes");
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category())
    co_return co_await answer_local(gateway_error::bad_request, "malformed request: " + ec.message());
  if (rq_.timed_out && !rq_.cut)
    co_return co_await answer_local(gateway_error::request_timeout,
                                    "request head not received within " + secs_text(L.header_timeout_s) + " s");
  finish(0, rq_.closed_outcome());  // went away mid-head
  co_return next::close;
}

awaitable<session::next> session::answer_head_problem() {
  const auto& problem = *head_problem_;
  std::string message(problem.message);
  if (problem.code == gateway_error::headers_too_large)
    message = "request has more than " + std::to_string(w_.gw.cfg->limits.max_header_count) + " header fields";
  // Where the body ends is in doubt (that is often the point): never read
  // another request from this connection.
  co_return co_await answer_local(problem.code, message, true);
}

awaitable<session::next> session::answer_gateway_path(std::string_view target) {
  auto path = policy::path_only(target);
  rq_.record.path = std::string(path.substr(0, 256));  // logged only: never let a caller make it large
  if (path == "/health/liveliness"sv || path == "/health/liveness"sv)
    co_return co_await answer(200, "application/json", R"({"status":"alive"})", false);
  if (path == "/health/readiness"sv) {
    if (w_.gw.draining.load(std::memory_order_relaxed))
      co_return co_await answer(503, "application/json", R"({"status":"draining"})", true);
    co_return co_await answer(200, "application/json", R"({"status":"ready"})", false);
  }
  if (path == "/metrics"sv && w_.gw.metrics_text)
    co_return co_await answer(200, "text/plain; version=0.0.4", w_.gw.metrics_text(), false);
  for (const auto& [prefix, handler] : w_.gw.admin)
    if (path.starts_with(prefix)) co_return co_await answer_admin(handler);
  co_return co_await answer_local(gateway_error::not_found,
                                  "no route for this path; proxied routes start with /<route>/, e.g. /anthropic/");
}

awaitable<error_code> session::write_client() {
  // Asio writes at most 16 pieces per sendmsg: a burst of small SSE chunks (three
  // pieces each once framed) is cheaper copied into one buffer than sent in many calls.
  if (out_.size() > 16) {
    flat_.clear();
    for (auto b : out_) flat_.append(static_cast<const char*>(b.data()), b.size());
    out_.assign({asio::buffer(flat_)});
  }
  expire_after(seconds(w_.gw.cfg->limits.idle_timeout_s));
  auto [ec, n] = co_await asio::async_write(client_, pieces(out_), use_tuple);
  rq_.bytes_out += n;
  co_return ec;
}

awaitable<session::next> session::answer(int status, std::string_view content_type, std::string_view body,
                                         bool close) {
  // A request whose body was not read leaves the connection unusable, unless
  // the rest of it is already here (a refused SDK request, typically): then it
  // is passed over and the connection stays open for the client's next request.
  bool body_pending = req_ && req_->is_header_done() && !req_->is_done();
  if (body_pending) {
    error_code ec;
    views_.clear();
    std::size_t used = http::parse_body(*req_, in_, ec, body_limits(w_.gw.cfg->limits));
    views_.clear();
    if (!ec) in_.consume(used);
    body_pending = ec || !req_->is_done();
  }
  close = close || closing_ || body_pending || !req_ || !req_->is_header_done() || !req_->keep_alive() ||
          w_.gw.draining.load(std::memory_order_relaxed);
  linger_ = body_pending;
  http::build_local_response(head_, status, content_type, body, rq_.record.request_id, close, extra_headers_);
  extra_headers_.clear();
  // An answer to HEAD has the headers (content-length included) and no body:
  // body bytes would be read as the start of the next response.
  const bool head_only = req_ && req_->is_header_done() && req_->method() == bhttp::verb::head;
  if (head_only) head_.resize(head_.size() - body.size());
  out_.assign({asio::buffer(head_)});
  release_parallel_slot();  // before the answer is out: see release_parallel_slot()
  auto ec = co_await write_client();
  auto head_size = head_.size() - (head_only ? 0 : body.size());
  rq_.bytes_out = rq_.bytes_out > head_size ? rq_.bytes_out - head_size : 0;
  std::string_view how = status >= 400 ? outcome::gateway_error : outcome::ok;
  if (rq_.admission.refused != limits::refusal::none) how = outcome::refused;
  if (ec) how = rq_.closed_outcome();
  finish(ec ? 0 : status, how);
  co_return (ec || close) ? next::close : next::keep_alive;
}

awaitable<session::next> session::answer_local(gateway_error e, std::string_view message, bool close) {
  // The connection stays usable unless asked, or the request was not read whole
  // (answer() sees to that).
  append_error_headers(extra_headers_, e, errors_);
  co_return co_await answer(shape_of(e).status, "application/json", error_body(e, message, errors_), close);
}

awaitable<session::next> session::answer_admin(const local_handler& handler) {
  // Admin bodies are small JSON: read them whole, with their own limit.
  std::string body;
  const auto& L = w_.gw.cfg->limits;
  while (!req_->is_done()) {
    views_.clear();
    error_code ec;
    std::size_t used = http::parse_body(*req_, in_, ec, body_limits(L));
    for (auto v : views_) body.append(static_cast<const char*>(v.data()), v.size());
    in_.consume(used);
    if (ec) {
      auto [code, message] = body_error(ec, L);
      co_return co_await answer_local(code, message, true);
    }
    if (body.size() > max_admin_body)
      co_return co_await answer_local(gateway_error::body_too_large,
                                      "admin request bodies are limited to " + std::to_string(max_admin_body) + " bytes");
    if (req_->is_done()) break;
    expire_after(seconds(L.idle_timeout_s));
    auto [rec, n] = co_await client_.async_read_some(http::read_space(in_, 8192), use_tuple);
    if (rec) {
      if (rq_.timed_out && !rq_.cut)
        co_return co_await answer_local(gateway_error::bad_request,
                                        "request body stalled for " + secs_text(L.idle_timeout_s) + " s");
      finish(0, rq_.closed_outcome());
      co_return next::close;
    }
    in_.commit(n);
  }
  views_.clear();
  const auto& req = *req_;
  local_request lr;
  lr.method = req.method_string();
  lr.target = req.target();
  lr.body = std::move(body);
  // Credentials from the head only (header_views_): a chunked body's trailers are
  // merged into the parser's fields, and must not supply a key.
  for (const auto& f : header_views_) {
    if (hdr::iequals(f.name, hdr::authorization) && lr.authorization.empty()) lr.authorization = f.value;
    else if (hdr::iequals(f.name, hdr::x_passgate_key) && lr.passgate_key.empty()) lr.passgate_key = f.value;
    else if (hdr::iequals(f.name, hdr::x_litellm_api_key) && lr.litellm_key.empty()) lr.litellm_key = f.value;
    else if (hdr::iequals(f.name, "if-none-match"sv) && lr.if_none_match.empty()) lr.if_none_match = f.value;
  }
  // Handlers report expected failures as answers; anything thrown is a bug, and
  // the client still gets an answer in the provider's shape.
  auto run = [&]() -> local_response {
    try {
      return handler(lr);
    } catch (const std::exception& e) {
      spdlog::error("admin handler failed on {}: {}", policy::path_only(lr.target), e.what());
      return {500, error_body(gateway_error::internal, "internal error"), "application/json"};
    }
  };
  local_response res;
  if (w_.gw.blocking) {
    res = co_await asio::co_spawn(
        *w_.gw.blocking, [&]() -> awaitable<local_response> { co_return run(); }, asio::use_awaitable);
  } else {
    res = run();
  }
  extra_headers_.append(res.headers);
  co_return co_await answer(res.status, res.content_type, res.body, false);
}

void session::finish(int status, std::string_view how) {
  if (rq_.state == request_state::finished) return;
  rq_.state = request_state::finished;
  unwatch_client();
  close_upstream();  // a connection fit for reuse went back to the pool before this
  auto& r = rq_.record;
  r.status = status;  // before the usage: whether a request is billable depends on it
  // A stream that ended in `event: error` (or a JSON error body under a 2xx) did
  // not succeed, whatever its status line said.
  if (apply_usage() && how == outcome::ok) how = outcome::upstream_error;

  r.outcome = std::string(how);
  if (scan_body_) {
    const auto& user = attribution_.user();
    r.end_user = user.end_user;
    if (r.session_id.empty()) r.session_id = user.session_id;
    scan_body_ = false;  // a later request on this connection is scanned only if it is JSON too
    attribution_.reset();
  }
  const auto now_ms = unix_ms();
  r.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - rq_.started).count();
  r.started_at_ms = now_ms - r.duration_ms;
  settle_limits(now_ms);
  log_access(r, rq_.bytes_out);
  if (r.route.empty()) {  // health, metrics, admin, 404: counted, no spend row
    w_.gw.stats.requests_unrouted.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  w_.gw.stats.count_request(r.outcome, r.credential, rq_.bytes_out);
  if (!keep_row(now_ms)) {
    w_.gw.stats.unrecorded_refusals.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (w_.gw.on_record) w_.gw.on_record(std::move(r));
}

// A request's parallel slot goes back once its answer is complete on our side,
// just before the last bytes are written: a client that sends its next request
// the moment it has read this answer must find the slot free (after the write
// would race it). finish() calls it too, for every other ending.
void session::release_parallel_slot() {
  if (!rq_.limited_key || !rq_.admission.holds_parallel || !w_.gw.limiter) return;
  w_.gw.limiter->release_parallel(*rq_.limited_key, rq_.admission);
  rq_.admission.holds_parallel = false;
}

// The parallel slot goes back, and what the answer used is charged: tokens
// toward tpm, cost toward the budget. Runs for every way a request ends.
void session::settle_limits(std::int64_t now_ms) {
  if (!rq_.limited_key || !w_.gw.limiter) return;
  release_parallel_slot();
  auto key = std::move(rq_.limited_key);
  auto& lim = *w_.gw.limiter;
  if (rq_.admission.refused != limits::refusal::none) return;
  const auto& r = rq_.record;
  std::int64_t tokens = r.input_tokens.value_or(0) + r.cache_creation_input_tokens.value_or(0) + r.output_tokens.value_or(0);
  if (tokens > 0 || r.cost_usd.value_or(0) > 0) lim.charge(*key, rq_.label, tokens, r.cost_usd.value_or(0), now_ms);
}

// Rows of requests refused before a key was known are rate-limited: an
// unauthenticated caller must not be able to grow the database. At most
// keyless_rows_per_s such rows per I/O thread per second; the rest are counted
// (passgate_unrecorded_refusals_total) and logged, not stored.
bool session::keep_row(std::int64_t now_ms) {
  const auto& r = rq_.record;
  if (!r.key_id.empty() || r.outcome != outcome::gateway_error || r.status < 400 || r.status >= 500) return true;
  constexpr std::int64_t keyless_rows_per_s = 20;
  auto now_s = now_ms / 1000;
  if (now_s != w_.keyless_rows_second) {
    w_.keyless_rows_second = now_s;
    w_.keyless_rows = 0;
  }
  return ++w_.keyless_rows <= keyless_rows_per_s;
}

void session::log_access(const usage::spend_record& r, std::uint64_t bytes) {
  if (!w_.gw.cfg->log.access) return;
  auto ms = std::chrono::duration<double, std::milli>(clock::now() - rq_.started).count();
  // Never a header value: only the label and the key's id/alias.
  spdlog::info("{} {} {} {}B {:.1f}ms id={} route={} cred={} key={} outcome={}", r.method,
               r.path.empty() ? "-" : r.path, r.status, bytes, ms, r.request_id, r.route.empty() ? "-" : r.route,
               r.credential.empty() ? "-" : r.credential,
               r.key_alias.empty() ? (r.key_id.empty() ? "-" : r.key_id) : r.key_alias,
               r.outcome.empty() ? "-" : r.outcome);
}

}  // namespace passgate::proxy

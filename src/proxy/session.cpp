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
  timed_out_ = true;
  error_code ec;
  client_.cancel(ec);
  if (up_) up_->cancel();
  if (connecting_) connecting_->cancel();
  if (resolving_) resolving_->cancel();
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
  req_.emplace(std::piecewise_construct, std::make_tuple(), std::make_tuple(fields_allocator(fields_arena_)));
  req_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(L.max_header_bytes, UINT32_MAX)));
  req_->body_limit(L.max_body_bytes);
  req_->get().body().sink = &views_;
  idle_ = in_.size() == 0;
  for (;;) {
    if (in_.size()) {
      error_code ec;
      auto n = req_->put(in_.data(), ec);
      in_.consume(n);
      if (ec && ec != bhttp::error::need_more) co_return ec;
      if (req_->is_header_done()) co_return error_code{};
    }
    if (closing_ && idle_) co_return error_code(asio::error::shut_down);
    expire_after(seconds(L.idle_timeout_s));
    auto [ec, n] = co_await client_.async_read_some(http::read_space(in_, 8192), use_tuple);
    if (ec) co_return ec;
    in_.commit(n);
    if (idle_) {
      idle_ = false;
      started_ = clock::now();
    }
  }
}

awaitable<session::next> session::handle_request() {
  started_ = clock::now();
  timed_out_ = false;
  bytes_out_ = 0;
  tapping_ = false;
  record_ = usage::spend_record{};
  next_request_id(record_.request_id);

  auto ec = co_await read_request_head();
  if (ec) {
    if (idle_) co_return next::close;  // closed, idle timeout or drain
    if (ec == bhttp::error::header_limit)
      co_return co_await answer_local(gateway_error::headers_too_large, "request headers are larger than " +
                                      std::to_string(w_.gw.cfg->limits.max_header_bytes) + " bytes");
    if (ec == bhttp::error::body_limit)
      co_return co_await answer_local(gateway_error::body_too_large, "request body is larger than " +
                                      std::to_string(w_.gw.cfg->limits.max_body_bytes) + " bytes");
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category())
      co_return co_await answer_local(gateway_error::bad_request, "malformed request: " + ec.message());
    co_return next::close;  // client went away or timed out mid-head
  }
  const auto& req = req_->get();
  record_.method = std::string(req.method_string());

  std::size_t count = 0;
  for (auto it = req.begin(); it != req.end(); ++it) ++count;
  if (count > w_.gw.cfg->limits.max_header_count)
    co_return co_await answer_local(gateway_error::headers_too_large,
                                    "request has more than " + std::to_string(w_.gw.cfg->limits.max_header_count) +
                                        " header fields");

  std::string_view target = req.target();
  std::string_view rest;
  if (auto* rt = find_route(w_.gw.routes, target, rest)) co_return co_await relay(*rt, rest);

  auto path = policy::path_only(target);
  record_.path = std::string(path);
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
  bytes_out_ += n;
  co_return ec;
}

awaitable<session::next> session::answer(int status, std::string_view content_type, std::string_view body,
                                         bool close) {
  // A request whose body was not read leaves the connection unusable.
  bool body_pending = req_ && req_->is_header_done() && !req_->is_done();
  close = close || closing_ || body_pending || !req_ || !req_->is_header_done() || !req_->keep_alive() ||
          w_.gw.draining.load(std::memory_order_relaxed);
  linger_ = body_pending;
  http::build_local_response(head_, status, content_type, body, record_.request_id, close);
  out_.assign({asio::buffer(head_)});
  auto ec = co_await write_client();
  auto head_size = head_.size() - body.size();
  bytes_out_ = bytes_out_ > head_size ? bytes_out_ - head_size : 0;
  if (record_.status == 0) record_.status = status;
  if (!record_.route.empty()) {
    finish_record(status, status >= 400 ? "gateway_error" : "ok");
  } else {
    w_.gw.stats.requests_unrouted.fetch_add(1, std::memory_order_relaxed);
    log_access(record_, bytes_out_);
  }
  co_return (ec || close) ? next::close : next::keep_alive;
}

awaitable<session::next> session::answer_local(gateway_error e, std::string_view message) {
  auto shape = shape_of(e);
  record_.status = shape.status;
  // The connection stays usable unless the request was not read whole (answer()
  // sees to that) or the upstream side failed mid-way.
  co_return co_await answer(shape.status, "application/json", error_body(e, message), false);
}

awaitable<session::next> session::answer_admin(const local_handler& handler) {
  // Admin bodies are small JSON: read them whole, with their own limit.
  std::string body;
  const auto& L = w_.gw.cfg->limits;
  while (!req_->is_done()) {
    views_.clear();
    error_code ec;
    std::size_t used = http::parse_body(*req_, in_, ec);
    for (auto v : views_) body.append(static_cast<const char*>(v.data()), v.size());
    in_.consume(used);
    if (ec) co_return co_await answer_local(gateway_error::bad_request, "malformed request body: " + ec.message());
    if (body.size() > max_admin_body)
      co_return co_await answer_local(gateway_error::body_too_large,
                                      "admin request bodies are limited to " + std::to_string(max_admin_body) + " bytes");
    if (req_->is_done()) break;
    expire_after(seconds(L.idle_timeout_s));
    auto [rec, n] = co_await client_.async_read_some(http::read_space(in_, 8192), use_tuple);
    if (rec) co_return next::close;
    in_.commit(n);
  }
  views_.clear();
  const auto& req = req_->get();
  local_request lr;
  lr.method = req.method_string();
  lr.target = req.target();
  lr.body = std::move(body);
  if (auto it = req.find(bhttp::field::authorization); it != req.end()) lr.authorization = it->value();
  if (auto it = req.find(hdr::x_passgate_key); it != req.end()) lr.passgate_key = it->value();
  if (auto it = req.find(hdr::x_litellm_api_key); it != req.end()) lr.litellm_key = it->value();
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
  co_return co_await answer(res.status, res.content_type, res.body, false);
}

void session::finish_record(int status, std::string_view outcome) {
  record_.status = status;
  record_.outcome = std::string(outcome);
  auto now = clock::now();
  record_.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - started_).count();
  record_.started_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() -
                          record_.duration_ms;
  log_access(record_, bytes_out_);
  w_.gw.stats.count_request(record_.outcome, record_.credential, bytes_out_);
  if (w_.gw.on_record) w_.gw.on_record(std::move(record_));
}

void session::log_access(const usage::spend_record& r, std::uint64_t bytes) {
  if (!w_.gw.cfg->log.access) return;
  auto ms = std::chrono::duration<double, std::milli>(clock::now() - started_).count();
  // Never a header value: only the label and the key's id/alias.
  spdlog::info("{} {} {} {}B {:.1f}ms id={} route={} cred={} key={} outcome={}", r.method,
               r.path.empty() ? "-" : r.path, r.status, bytes, ms, r.request_id, r.route.empty() ? "-" : r.route,
               r.credential.empty() ? "-" : r.credential,
               r.key_alias.empty() ? (r.key_id.empty() ? "-" : r.key_id) : r.key_alias,
               r.outcome.empty() ? "-" : r.outcome);
}

}  // namespace passgate::proxy

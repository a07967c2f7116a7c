// The proxy pipeline of one request: policy, upstream connection, request body
// streamed up, response streamed down. Bytes are forwarded as they arrive; the
// only copies are the kernel's.
#include <sys/socket.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/error.hpp>

#include "common/headers.hpp"
#include "http/parse_body.hpp"
#include "http/wire.hpp"
#include "policy/path_mapping.hpp"
#include "proxy/local_errors.hpp"
#include "proxy/session.hpp"
#include "policy/aws_signing.hpp"
#include "usage/bedrock_model.hpp"
#include "usage/content_type.hpp"
#include "usage/record_usage.hpp"

namespace passgate::proxy {

using namespace std::string_view_literals;
using http::parse_body;


void session::frame_views(bool chunked, bool final_chunk) {
  // Chunk-size lines live in frames_, reserved up front so views into it stay put.
  frames_.clear();
  frames_.reserve(views_.size() * 20 + 8);
  for (auto v : views_) {
    if (chunked) {
      auto off = frames_.size();
      http::append_chunk_size(frames_, v.size());
      out_.push_back(asio::const_buffer(frames_.data() + off, frames_.size() - off));
      out_.push_back(v);
      out_.push_back(asio::buffer("\r\n"sv));
    } else {
      out_.push_back(v);
    }
  }
  if (chunked && final_chunk) out_.push_back(asio::buffer("0\r\n\r\n"sv));
}

void session::feed_tap() {
  if (!rq_.tapping) return;
  for (auto v : views_) tap_.feed(std::string_view(static_cast<const char*>(v.data()), v.size()));
}

// What the tap saw goes into the row, whatever way the response ended. True when
// the answer carried an error (an `event: error` in a stream, an error body).
bool session::apply_usage() {
  if (!rq_.tapping) return false;
  rq_.tapping = false;
  tap_.finish();
  static const usage::price_table no_prices;
  const auto& seen = tap_.result();
  auto how = usage::record_usage(rq_.record, seen, w_.gw.prices ? *w_.gw.prices : no_prices, path_model_);
  if (how == usage::pricing::unknown_model && w_.gw.prices) {
    auto n = w_.gw.stats.unknown_model_rows.fetch_add(1, std::memory_order_relaxed) + 1;
    if ((n & (n - 1)) == 0)  // 1, 2, 4, …: visible without flooding
      spdlog::warn("no price for model '{}': cost left unknown ({} row(s) so far); add it to the prices",
                   rq_.record.model, n);
  }
  return !seen.error_type.empty();
}

void session::close_upstream() {
  if (up_) {
    up_->close();
    up_.reset();
  }
}

void session::release_upstream(route_runtime& rt) {
  if (!up_) return;
  w_.pool.put(rt.index, std::move(up_));
}

// Notices a client that goes away while we wait on the upstream, so that its
// upstream request is cancelled at once rather than at the next write. Arming it
// costs an epoll_ctl, so it is armed only for answers that take a while: streams
// (at their head) and anything still running at the watchdog's next tick.
void session::on_tick() {
  if (rq_.awaiting_upstream && !watching_ && !rq_.client_gone) watch_client();
}

void session::watch_client() {
  watching_ = true;
  auto gen = ++watch_gen_;
  client_.async_wait(tcp::socket::wait_read, [self = shared_from_this(), gen](error_code ec) {
    if (ec || gen != self->watch_gen_ || !self->watching_) return;
    char c;
    ssize_t n = ::recv(self->client_.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) {  // a pipelined request: the client is there
      self->watching_ = false;
      return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      self->watch_client();
      return;
    }
    self->watching_ = false;
    self->rq_.client_gone = true;
    if (self->up_) self->up_->cancel();
  });
}

void session::unwatch_client() {
  rq_.awaiting_upstream = false;
  if (!watching_) return;
  watching_ = false;
  ++watch_gen_;
  error_code ec;
  client_.cancel(ec);
}

awaitable<std::optional<stop_reason>> session::connect_upstream(route_runtime& rt, bool allow_pooled) {
  rq_.upstream_reused = false;
  if (allow_pooled) {
    up_ = w_.pool.take(rt.index);
    if (up_) {
      rq_.upstream_reused = true;
      w_.gw.stats.upstream_reuses.fetch_add(1, std::memory_order_relaxed);
      co_return std::nullopt;
    }
  }
  const auto& L = w_.gw.cfg->limits;
  expire_after(seconds(L.upstream_connect_timeout_s));
  auto r = co_await upstream::open_connection(w_.ioc, rt.endpoint, &connecting_, &resolving_);
  if (r.conn) {
    up_ = std::move(r.conn);
    w_.gw.stats.upstream_connects.fetch_add(1, std::memory_order_relaxed);
    co_return std::nullopt;
  }
  w_.gw.stats.upstream_connect_failures.fetch_add(1, std::memory_order_relaxed);
  if (rq_.timed_out)
    co_return stop_reason{gateway_error::upstream_timeout,
                          "upstream did not accept a connection within " + secs_text(L.upstream_connect_timeout_s) + " s"};
  // The error text names the stage, never a credential.
  co_return stop_reason{gateway_error::upstream_unreachable,
                        std::string("upstream unreachable (") + r.stage + "): " + r.ec.message()};
}

// A key in the URL (Gemini's ?key=) is a credential like its header: taken
// out of the target and judged by the credential rule as that header (the
// caller's own key goes up as the header, a gateway key is consumed). URLs are
// logged by proxies and kept in histories; headers are not.
std::optional<std::string_view> session::take_query_credential(const route_runtime& rt) {
  const auto taken = policy::take_query_param(target_, rt.query_key_param, query_key_);
  if (!taken) return std::nullopt;
  if (taken.conflicting) return "two different key= values were sent in the URL; send one";
  // Decoded, it becomes a header line: nothing that could end or split one.
  for (unsigned char c : query_key_)
    if (c < 0x20 || c == 0x7f) return "the URL's key= value holds a control character";
  header_views_.push_back({rt.policy.client_headers[0], query_key_});
  return std::nullopt;
}

// A generic route's upstream may say what the answer cost, in USD, in a header
// the route names: a plain non-negative decimal number, else ignored.
void session::note_reported_cost(std::string_view value) {
  value = hdr::trim(value);
  if (value.empty() || value.size() > 32 || value.find_first_not_of("0123456789.eE+-") != std::string_view::npos) return;
  const std::string text(value);
  char* end = nullptr;
  const double cost = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(cost) || cost < 0) return;
  rq_.record.cost_usd = cost;
}

// Who and what made the request, for its row: the Claude Code headers and the
// client's product token now; metadata.user_id as the body goes by.
void session::note_attribution_headers() {
  auto& r = rq_.record;
  std::string_view content_type, content_encoding;
  for (const auto& f : header_views_) {
    if (hdr::iequals(f.name, hdr::user_agent)) r.client = usage::client_from_user_agent(f.value);
    else if (hdr::iequals(f.name, hdr::x_claude_code_session_id)) r.session_id = usage::clean_field(f.value);
    else if (hdr::iequals(f.name, hdr::x_claude_code_agent_id)) r.agent_id = usage::clean_field(f.value);
    else if (hdr::iequals(f.name, hdr::content_type)) content_type = f.value;
    else if (hdr::iequals(f.name, hdr::content_encoding)) content_encoding = f.value;
  }
  scan_body_ = content_encoding.empty() && usage::kind_from_content_type(content_type) == usage::body_kind::json;
}

// The request body pieces the parser just took (views_), before they go out.
void session::feed_attribution() {
  if (!scan_body_ || !attribution_.wants_more()) return;
  for (const auto& v : views_) attribution_.feed({static_cast<const char*>(v.data()), v.size()});
}

// The first write of a request (out_: its head and the body bytes at hand) on
// a pooled or new connection. A pooled connection that fails on it is retried
// once on a fresh one: nothing reached the upstream.
awaitable<std::optional<stop_reason>> session::write_first(route_runtime& rt) {
  for (int attempt = 0;; ++attempt) {
    if (auto stop = co_await connect_upstream(rt, attempt == 0)) co_return stop;
    expire_after(seconds(w_.gw.cfg->limits.upstream_idle_timeout_s));
    auto [wec, n] = co_await up_->write(pieces(out_));
    if (!wec) co_return std::nullopt;
    close_upstream();
    if (rq_.upstream_reused && attempt == 0 && !rq_.timed_out) continue;
    if (rq_.timed_out) co_return stop_reason{gateway_error::upstream_timeout, "upstream did not take the request in time"};
    co_return stop_reason{gateway_error::upstream_unreachable,
                          "upstream connection failed while sending the request: " + wec.message()};
  }
}

// More of the request body from the client, into in_.
awaitable<std::optional<stop_reason>> session::read_body_more() {
  const auto& L = w_.gw.cfg->limits;
  expire_after(seconds(L.idle_timeout_s));
  auto [rec, n] = co_await client_.async_read_some(http::read_space(in_, 16384), use_tuple);
  if (rec) {
    if (rq_.timed_out && !rq_.cut)
      co_return stop_reason{gateway_error::bad_request, "request body stalled for " + secs_text(L.idle_timeout_s) + " s"};
    rq_.client_gone = true;
    co_return stop_reason{gateway_error::bad_request, "client closed the connection while sending the body"};
  }
  in_.commit(n);
  co_return std::nullopt;
}

// A Bedrock request: AWS signs the body's hash, so the body is read whole
// (within max_body_bytes) before anything goes up, then sent with its length.
// The answer still streams.
awaitable<std::optional<stop_reason>> session::send_signed_request(route_runtime& rt) {
  const auto& L = w_.gw.cfg->limits;
  signed_body_.clear();
  for (;;) {
    error_code ec;
    views_.clear();
    std::size_t used = parse_body(*req_, in_, ec, body_limits(L));
    if (ec) {
      auto [code, message] = body_error(ec, L);
      co_return stop_reason{code, std::move(message), true};
    }
    feed_attribution();
    for (auto v : views_) signed_body_.append(static_cast<const char*>(v.data()), v.size());
    in_.consume(used);
    if (req_->is_done()) break;
    if (auto stop = co_await read_body_more()) co_return stop;
  }
  views_.clear();
  policy::append_aws_signature(head_, *rt.aws, req_->method_string(), target_, rt.host_header, signed_body_,
                               std::chrono::system_clock::now());
  http::append_number_header(head_, hdr::content_length, signed_body_.size());
  head_.append("\r\n"sv);
  out_.clear();
  out_.push_back(asio::buffer(head_));
  if (!signed_body_.empty()) out_.push_back(asio::buffer(signed_body_));
  co_return co_await write_first(rt);
}

awaitable<std::optional<stop_reason>> session::send_request(route_runtime& rt) {
  if (rt.aws) co_return co_await send_signed_request(rt);
  const auto& L = w_.gw.cfg->limits;
  const auto limits = body_limits(L);
  const bool chunked = req_->chunked();
  error_code ec;
  views_.clear();
  std::size_t used = parse_body(*req_, in_, ec, limits);
  if (ec) {
    auto [code, message] = body_error(ec, L);
    co_return stop_reason{code, std::move(message), true};
  }
  feed_attribution();

  // The head and the body bytes already here go in one write. Whatever comes of
  // it, the body bytes the parser took are consumed: left in the buffer they
  // would be read again, as the body's rest or as the next request.
  out_.clear();
  out_.push_back(asio::buffer(head_));
  frame_views(chunked, req_->is_done());
  auto first = co_await write_first(rt);
  in_.consume(used);
  if (first) co_return first;

  // The rest of the body, as it arrives.
  while (!req_->is_done()) {
    if (auto stop = co_await read_body_more()) co_return stop;
    views_.clear();
    used = parse_body(*req_, in_, ec, limits);
    if (ec) {
      auto [code, message] = body_error(ec, L);
      co_return stop_reason{code, std::move(message), true};
    }
    feed_attribution();
    out_.clear();
    frame_views(chunked, req_->is_done());
    expire_after(seconds(L.upstream_idle_timeout_s));
    auto [wec, wn] = co_await up_->write(pieces(out_));
    in_.consume(used);
    if (wec)
      co_return stop_reason{rq_.timed_out ? gateway_error::upstream_timeout : gateway_error::upstream_unreachable,
                            "upstream connection failed while sending the request body"};
  }
  views_.clear();
  co_return std::nullopt;
}

awaitable<std::optional<stop_reason>> session::read_response_head() {
  const auto& L = w_.gw.cfg->limits;
  up_in_.clear();
  if (up_in_.capacity() == 0) up_in_.reserve(8192);
  auto new_parser = [&] {
    res_.emplace(fields_arena_, response_fields_);
    res_->body_limit(boost::none);
    res_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(L.max_header_bytes, UINT32_MAX)));
    if (req_->method() == bhttp::verb::head) res_->skip(true);
    res_->sink = &views_;
  };
  new_parser();
  // Once the head has started, the rest of it must follow within
  // header_timeout_s: a trickling upstream holds no request forever.
  auto head_deadline = clock::time_point::max();
  int interim = 0;
  for (;;) {
    if (up_in_.size()) {
      if (head_deadline == clock::time_point::max()) head_deadline = clock::now() + seconds(L.header_timeout_s);
      error_code ec;
      const std::size_t n = res_->put(up_in_.data(), ec);
      up_in_.consume(n);
      if (ec && ec != bhttp::error::need_more)
        co_return stop_reason{gateway_error::upstream_bad_response, "upstream sent an invalid response: " + ec.message()};
      if (res_->is_header_done()) {
        int status = res_->result_int();
        if (status >= 100 && status < 200 && status != 101) {  // interim: skip, a few at most
          if (++interim > 8) co_return stop_reason{gateway_error::upstream_bad_response, "upstream sent more than 8 interim (1xx) responses"};
          new_parser();
          head_deadline = clock::time_point::max();
          continue;
        }
        if (status == 101) co_return stop_reason{gateway_error::upstream_bad_response, "upstream tried to switch protocols"};
        co_return std::nullopt;
      }
    }
    expire_at(std::min(clock::now() + seconds(L.upstream_idle_timeout_s), head_deadline));
    auto [ec, n] = co_await up_->read_some(http::read_space(up_in_, 16384));
    if (ec) {
      if (rq_.timed_out && !rq_.cut) {
        if (head_deadline != clock::time_point::max())
          co_return stop_reason{gateway_error::upstream_timeout,
                                "upstream response head not complete within " + secs_text(L.header_timeout_s) + " s"};
        co_return stop_reason{gateway_error::upstream_timeout,
                              "upstream sent no answer within " + secs_text(L.upstream_idle_timeout_s) + " s"};
      }
      co_return stop_reason{gateway_error::upstream_unreachable,
                            "upstream closed the connection before answering: " + ec.message()};
    }
    up_in_.commit(n);
  }
}

awaitable<std::optional<stop_reason>> session::forward(route_runtime& rt) {
  if (auto stop = co_await send_request(rt)) co_return stop;
  rq_.awaiting_upstream = true;
  co_return co_await read_response_head();
}

// Forwarding stopped before any of the answer reached the client: answer in the
// provider's shape if the client is still there, else just end. Either way the
// request ends in finish().
awaitable<session::next> session::end_early(const stop_reason& why) {
  close_upstream();
  unwatch_client();
  if (rq_.cut || rq_.client_gone) {
    finish(0, rq_.failure_outcome());
    co_return next::close;
  }
  co_return co_await answer_local(why.code, why.message, why.close);
}

// LiteLLM's headers, for keys with rpm or tpm limits: what the key may still do
// in the current minute.
void session::append_ratelimit_headers(std::string& out) const {
  const auto& a = rq_.admission;
  auto add = [&](std::string_view name, const std::optional<std::int64_t>& v) {
    if (!v) return;
    http::append_number_header(out, name, static_cast<std::uint64_t>(std::max<std::int64_t>(0, *v)));
  };
  add("x-ratelimit-limit-requests", a.rpm_limit);
  add("x-ratelimit-remaining-requests", a.rpm_remaining);
  add("x-ratelimit-limit-tokens", a.tpm_limit);
  add("x-ratelimit-remaining-tokens", a.tpm_remaining);
}

// Admission by a shared limiter (Redis): its client thread answers, and the
// answer is posted back to this session's executor. The request waits for one
// pipelined round trip; the I/O thread serves other connections meanwhile.
awaitable<limits::admission> admit_shared(limits::limiter& lim, std::shared_ptr<const auth::key_record> key,
                                         policy::credential_label label, bool budget_exempt, std::int64_t now_ms) {
  auto start = [&](auto handler) {
    using handler_t = decltype(handler);
    auto held = std::make_shared<handler_t>(std::move(handler));  // admit_callback must be copyable
    lim.admit_async(std::move(key), label, budget_exempt, now_ms, [held](limits::admission a) {
      auto ex = asio::get_associated_executor(*held);
      asio::post(ex, [held, a = std::move(a)]() mutable { std::move (*held)(std::move(a)); });
    });
  };
  // Named, not a temporary inside co_await (GCC 12 coroutine lifetimes).
  auto pending = asio::async_initiate<decltype(asio::use_awaitable), void(limits::admission)>(start, asio::use_awaitable);
  co_return co_await std::move(pending);
}

// A request its key's limits refuse: 429 in Anthropic's shape, never forwarded.
// Budgets say billing_error and x-should-retry: false (the SDKs and Claude Code
// then do not retry); rates say rate_limit_error with a truthful retry-after.
awaitable<session::next> session::answer_refusal() {
  const auto& a = rq_.admission;
  const bool budget = a.refused == limits::refusal::budget;
  const bool unchecked = a.refused == limits::refusal::unavailable;  // on_shared_error: deny
  w_.gw.stats.count_refusal(limits::to_string(a.refused));
  if (a.retry_after_s > 0) {
    http::append_number_header(extra_headers_, "retry-after", static_cast<std::uint64_t>(a.retry_after_s));
  }
  if (budget) extra_headers_.append("x-should-retry: false\r\n"sv);
  const auto e = budget ? gateway_error::budget_exceeded : unchecked ? gateway_error::unavailable : gateway_error::rate_limited;
  append_error_headers(extra_headers_, e, errors_);
  co_return co_await answer(shape_of(e).status, "application/json", error_body(e, a.message, errors_), false);
}

awaitable<session::next> session::relay(route_runtime& rt, std::string_view rest) {
  const auto& req = *req_;
  rq_.record.route = rt.cfg->name;
  rq_.record.provider = rt.provider;
  errors_ = rt.errors;
  rq_.record.path = std::string(policy::path_only(rest.empty() ? "/"sv : rest).substr(0, 512));  // a row, not a dump
  if (rt.aws) path_model_ = usage::bedrock_model(rq_.record.path);

  // Bedrock's model ids may be ARNs, their '/' encoded in the path as AWS expects.
  if (auto m = policy::map_path(rt.cfg->upstream.base_path, rest, target_, rt.aws.has_value()); !m.ok)
    co_return co_await answer_local(gateway_error::bad_path, std::string(m.reason));
  if (!rt.query_key_param.empty()) {
    if (auto refused = take_query_credential(rt)) {
      const std::string message(*refused);  // named: no temporary inside co_await (GCC 12)
      co_return co_await answer_local(gateway_error::bad_request, message);
    }
  }

  policy::apply_credential_rule(header_views_, rt.policy, w_.gw.lookup, policy_);
  rq_.record.credential = std::string(to_string(policy_.label));
  if (policy_.caller) {
    rq_.record.key_id = policy_.caller->key_id;
    rq_.record.key_alias = policy_.caller->key_alias;
  }
  if (policy_.error) co_return co_await answer_local(policy_.error->code, policy_.error->message);
  rq_.label = policy_.label;
  note_attribution_headers();

  // Governance: only keys that have limits pay for it (a few loads otherwise).
  if (policy_.caller && w_.gw.limiter && limits::has_limits(*policy_.caller)) {
    // Counting tokens costs nothing (Anthropic's count_tokens, Gemini's countTokens): never refused for a budget.
    const bool budget_exempt = rq_.record.path.ends_with("/count_tokens"sv) || rq_.record.path.ends_with(":countTokens"sv);
    auto& lim = *w_.gw.limiter;
    if (lim.remote()) {
      auto admitted = admit_shared(lim, policy_.caller, policy_.label, budget_exempt, unix_ms());
      rq_.admission = co_await std::move(admitted);
    } else {
      rq_.admission = lim.admit(*policy_.caller, policy_.label, budget_exempt, unix_ms());
    }
    rq_.limited_key = policy_.caller;
    append_ratelimit_headers(extra_headers_);
    if (rq_.admission.refused != limits::refusal::none) co_return co_await answer_refusal();
  }

  // The upstream request head, written by hand.
  head_.clear();
  head_.append(req.method_string());
  head_.push_back(' ');
  head_.append(target_);
  head_.append(" HTTP/1.1\r\n"sv);
  http::append_header(head_, hdr::host, rt.host_header);
  for (const auto& h : policy_.headers) http::append_header(head_, h.name, h.value);
  if (rt.aws) {
    // The signature and the length follow once the body is read (send_signed_request).
  } else if (req_->chunked()) {
    head_.append("transfer-encoding: chunked\r\n\r\n"sv);
  } else {
    if (auto cl = req_->content_length()) http::append_number_header(head_, hdr::content_length, *cl);
    head_.append("\r\n"sv);
  }

  if (policy_.expect_continue && !req_->is_done()) {
    out_.assign({asio::buffer("HTTP/1.1 100 Continue\r\n\r\n"sv)});
    if (co_await write_client()) {
      finish(0, rq_.closed_outcome());
      co_return next::close;
    }
    rq_.bytes_out = 0;
  }

  rq_.state = request_state::forwarding;
  if (auto stop = co_await forward(rt)) co_return co_await end_early(*stop);
  co_return co_await relay_response(rt);
}

awaitable<session::next> session::relay_response(route_runtime& rt) {
  const auto& L = w_.gw.cfg->limits;
  const auto& req = *req_;
  const auto& res = *res_;
  const int status = res.result_int();

  // Framing towards the client: keep the upstream's content-length; otherwise
  // chunked for HTTP/1.1 clients, close-delimited for HTTP/1.0 ones.
  const bool no_body = res_->is_done();
  const bool has_length = res_->content_length().has_value();
  const bool reframe_chunked = !no_body && !has_length && req.version() >= 11;
  const bool close_delimited = !no_body && !has_length && !reframe_chunked;
  const bool close_after = close_delimited || closing_ || !req_->keep_alive() ||
                           w_.gw.draining.load(std::memory_order_relaxed);

  // The body bytes that came with the head are parsed before anything is
  // written: an upstream whose framing is broken from the start gets the client
  // a 502, not an empty reply.
  error_code ec;
  views_.clear();
  std::size_t used = parse_body(*res_, up_in_, ec, body_limits(L));
  if (ec) {
    // Named, not a temporary in the co_await: GCC 12 destroys such temporaries twice.
    const stop_reason broken{gateway_error::upstream_bad_response, "upstream sent a malformed body: " + ec.message()};
    co_return co_await end_early(broken);
  }

  head_.clear();
  http::append_status_line(head_, status, res.reason());
  std::string_view connection_tokens;
  for (const auto& f : res.fields())
    if (hdr::iequals(f.name, hdr::connection)) connection_tokens = f.value;
  for (const auto& f : res.fields()) {
    auto name = f.name;
    if (hdr::is_hop_by_hop(name)) continue;
    if (hdr::iequals(name, hdr::content_length) && !has_length && !no_body) continue;
    if (!connection_tokens.empty()) {
      bool named = false;
      hdr::for_each_token(connection_tokens, [&](std::string_view t) { named |= hdr::iequals(t, name); });
      if (named) continue;
    }
    http::append_header(head_, name, f.value);
  }
  if (reframe_chunked) head_.append("transfer-encoding: chunked\r\n"sv);
  http::append_header(head_, hdr::x_passgate_request_id, rq_.record.request_id);
  head_.append(extra_headers_);  // x-ratelimit-* for keys with rpm/tpm limits
  extra_headers_.clear();
  if (close_after) head_.append("connection: close\r\n"sv);
  head_.append("\r\n"sv);
  rq_.state = request_state::streaming;

  const auto kind = usage::kind_from_content_type(res.find(hdr::content_type));
  if (w_.gw.cfg->usage.tap && rt.usage) {
    tap_.start(kind, usage::encoding_from_header(res.find(hdr::content_encoding)), *rt.usage);
    rq_.tapping = true;
  }
  if (!rt.cost_header.empty()) note_reported_cost(res.find(rt.cost_header));
  if ((kind == usage::body_kind::sse || kind == usage::body_kind::eventstream) && !watching_) watch_client();

  // Head plus whatever body bytes are already here, in one write.
  out_.clear();
  out_.push_back(asio::buffer(head_));
  frame_views(reframe_chunked, res_->is_done());
  bool first = true;

  for (;;) {
    if (ec) {  // the upstream's body framing broke mid-answer: cut the client off
      finish(status, outcome::upstream_error);
      co_return next::close;
    }
    if (!out_.empty()) {
      if (res_->is_done()) release_parallel_slot();  // the answer's last bytes
      if (auto wec = co_await write_client()) {
        finish(status, rq_.closed_outcome());
        co_return next::close;
      }
      if (first) {
        first = false;
        rq_.record.ttfb_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - rq_.started).count();
      }
    }
    feed_tap();  // after the bytes went out: the tap never delays them
    up_in_.consume(used);
    if (res_->is_done()) break;

    expire_after(seconds(L.upstream_idle_timeout_s));
    auto [rec, n] = co_await up_->read_some(http::read_space(up_in_, 16384));
    if (rec == asio::error::eof && res_->need_eof()) {
      res_->put_eof(ec);
      out_.clear();
      views_.clear();
      frame_views(reframe_chunked, true);
      used = 0;
      continue;
    }
    if (rec) {
      finish(status, rq_.failure_outcome());
      co_return next::close;
    }
    up_in_.commit(n);
    views_.clear();
    used = parse_body(*res_, up_in_, ec, body_limits(L));
    out_.clear();
    frame_views(reframe_chunked, res_->is_done());
  }

  unwatch_client();
  // Reusable only if the upstream keeps it open and nothing is left over.
  if (res_->keep_alive() && up_in_.size() == 0 && up_) release_upstream(rt);
  finish(status, status >= 400 ? outcome::upstream_error : outcome::ok);
  co_return close_after ? next::close : next::keep_alive;
}

}  // namespace passgate::proxy

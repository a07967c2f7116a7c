#include "admin/admin_api.hpp"

#include <spdlog/spdlog.h>

#include <boost/url/parse.hpp>

#include <algorithm>
#include <map>

#include "admin/key_request.hpp"
#include "admin/render_json.hpp"
#include "admin/spend_service.hpp"
#include "auth/key_cache.hpp"
#include "common/gateway_error.hpp"
#include "common/headers.hpp"
#include "policy/path_mapping.hpp"
#include "store/store.hpp"

namespace passgate::admin {
namespace {

using namespace std::string_view_literals;
using proxy::local_request;
using proxy::local_response;
using key_ptr = std::shared_ptr<const auth::key_record>;

struct endpoint {
  std::string_view path;
  std::string_view method;
};
constexpr endpoint endpoints_table[] = {
    {"/key/generate", "POST"}, {"/key/info", "GET"},    {"/key/list", "GET"},       {"/key/update", "POST"},
    {"/key/delete", "POST"},   {"/spend/logs", "GET"}, {"/spend/report", "GET"},
};

std::string endpoint_list() {
  std::string out;
  for (const auto& e : endpoints_table) out += (out.empty() ? "" : ", ") + std::string(e.path);
  return out;
}

local_response fail(const problem& p) { return {shape_of(p.kind).status, error_body(p.kind, p.message)}; }
local_response ok(std::string body) { return {200, std::move(body)}; }

std::string_view strip_bearer(std::string_view v) {
  v = hdr::trim(v);
  if (hdr::istarts_with(v, "bearer "sv)) v = hdr::trim(v.substr(7));
  return v;
}

// The caller's gateway key: x-passgate-key (with or without "Bearer "), else a
// bearer token in Authorization. The explicit header wins when both are sent.
result<key_ptr> authenticate(const local_request& req, const auth::key_cache& keys) {
  std::string_view token;
  if (!hdr::trim(req.passgate_key).empty())
    token = strip_bearer(req.passgate_key);
  else if (!hdr::trim(req.litellm_key).empty())
    token = strip_bearer(req.litellm_key);
  else if (hdr::istarts_with(hdr::trim(req.authorization), "bearer "sv))
    token = strip_bearer(req.authorization);
  if (token.empty())
    return problem{gateway_error::unauthenticated,
                   "the admin API needs a gateway key in 'Authorization: Bearer <key>' or 'x-passgate-key'"};
  auto rec = keys.find(token);
  if (!rec) return problem{gateway_error::unauthenticated, "invalid, expired or revoked gateway key"};
  return rec;
}

// Decoded query parameters; each name at most once and among `allowed`.
result<std::map<std::string, std::string>> query_params(std::string_view target,
                                                        std::initializer_list<std::string_view> allowed) {
  std::map<std::string, std::string> out;
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return bad_request("malformed request target: " + url.error().message());
  for (auto p : url->params()) {
    if (std::find(allowed.begin(), allowed.end(), p.key) == allowed.end())
      return bad_request("unknown query parameter '" + p.key + "'");
    if (!out.emplace(p.key, p.value).second) return bad_request("query parameter '" + p.key + "' is given twice");
  }
  return out;
}

std::optional<std::string> take(std::map<std::string, std::string>& m, const std::string& name) {
  auto it = m.find(name);
  if (it == m.end()) return std::nullopt;
  return std::move(it->second);
}

std::optional<std::string_view> view(const std::optional<std::string>& s) {
  return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

// Both spend endpoints read every name; parse_logs_query and parse_report_query
// then say which one a parameter belongs to.
result<spend_args> spend_query(std::string_view target) {
  auto q = query_params(target, {"key_id", "model", "credential", "status", "start_date", "end_date", "end_user",
                                 "session_id", "client", "outcome", "provider", "route", "page", "size", "before", "after", "group_by",
                                 "split_by"});
  if (!q) return q.error();
  spend_args a;
  a.key_id = take(*q, "key_id");
  a.model = take(*q, "model");
  a.credential = take(*q, "credential");
  a.status = take(*q, "status");
  a.start_date = take(*q, "start_date");
  a.end_date = take(*q, "end_date");
  a.page = take(*q, "page");
  a.size = take(*q, "size");
  a.group_by = take(*q, "group_by");
  a.end_user = take(*q, "end_user");
  a.session_id = take(*q, "session_id");
  a.client = take(*q, "client");
  a.outcome = take(*q, "outcome");
  a.provider = take(*q, "provider");
  a.route = take(*q, "route");
  a.before = take(*q, "before");
  a.after = take(*q, "after");
  a.split_by = take(*q, "split_by");
  return a;
}

// A key other than the master reads its own rows only.
std::optional<problem> restrict_to_caller(store::spend_filter& f, const auth::key_record& caller) {
  if (caller.is_master) return std::nullopt;
  if (f.key_id && *f.key_id != caller.key_id)
    return problem{gateway_error::forbidden, "a gateway key may read only its own spend; the master key reads all"};
  f.key_id = caller.key_id;
  return std::nullopt;
}

}  // namespace

admin_api::admin_api(store::store& st, auth::key_cache& keys, config::config_ptr cfg,
                     std::function<std::int64_t()> now_unix)
    : store_(st), keys_(keys), cfg_(std::move(cfg)), service_(st, *cfg_, &keys, std::move(now_unix)) {}

local_response admin_api::handle(const local_request& req) {
  // The path only in logs: a query may hold a key (/key/info?key=…).
  try {
    return dispatch(req);
  } catch (const store::unavailable& e) {
    store_failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("admin: {} {}: store unavailable, answered 503: {}", req.method, policy::path_only(req.target),
                 e.what());
    return fail(store_unavailable(e.what()));
  } catch (const std::exception& e) {
    store_failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("admin: {} {} failed: {}", req.method, policy::path_only(req.target), e.what());
    return fail({gateway_error::internal, std::string("the key store failed: ") + e.what()});
  }
}

local_response admin_api::dispatch(const local_request& req) {
  auto path = policy::path_only(req.target);
  auto who = authenticate(req, keys_);
  if (!who) return fail(who.error());
  const auth::key_record& caller = **who;
  if (path.starts_with("/key/"sv) && !caller.is_master)
    return fail({gateway_error::forbidden, "managing keys needs the master key"});

  const endpoint* ep = nullptr;
  for (const auto& e : endpoints_table)
    if (e.path == path) ep = &e;
  if (!ep) return fail(not_found("no such admin endpoint; the endpoints are " + endpoint_list()));
  if (req.method != ep->method)
    return fail({gateway_error::method_not_allowed, std::string(ep->path) + " needs " + std::string(ep->method)});

  if (path == "/key/generate"sv) {
    auto fields = parse_generate_body(req.body);
    if (!fields) return fail(fields.error());
    auto created = service_.create(*fields);
    if (!created) return fail(created.error());
    return ok(created_key_json(*created));
  }
  if (path == "/key/info"sv) {
    auto q = query_params(req.target, {"key_id", "key"});
    if (!q) return fail(q.error());
    auto id = take(*q, "key_id"), key = take(*q, "key");
    if (bool(id) == bool(key)) return fail(bad_request("give exactly one of 'key_id' and 'key'"));
    auto rec = id ? service_.info_by_id(*id) : service_.info_by_key(*key);
    if (!rec) return fail(rec.error());
    return ok(key_info_json(*rec, service_.budget(*rec)));
  }
  if (path == "/key/list"sv) {
    // return_full_object: accepted for LiteLLM clients; full objects are always returned.
    auto q = query_params(req.target, {"page", "size", "return_full_object"});
    if (!q) return fail(q.error());
    auto page = take(*q, "page"), size = take(*q, "size");
    auto p = parse_paging(view(page), view(size));
    if (!p) return fail(p.error());
    auto keys = service_.list(*p);
    // Each key's spend this period, as /key/info gives it (the console's budget bars).
    return ok(key_list_json(keys, service_.budgets(keys.keys)));
  }
  if (path == "/key/update"sv) {
    auto r = parse_update_body(req.body);
    if (!r) return fail(r.error());
    auto rec = service_.update(r->key_id, r->fields);
    if (!rec) return fail(rec.error());
    return ok(key_json(*rec));
  }
  if (path == "/key/delete"sv) {
    auto r = parse_delete_body(req.body);
    if (!r) return fail(r.error());
    return ok(revoke_json(service_.revoke(r->keys, r->key_ids)));
  }
  if (path == "/spend/logs"sv) {
    auto args = spend_query(req.target);
    if (!args) return fail(args.error());
    auto q = parse_logs_query(*args);
    if (!q) return fail(q.error());
    if (auto p = restrict_to_caller(q->filter, caller)) return fail(*p);
    return ok(spend_logs_json(spend_logs(store_, *q)));
  }
  // /spend/report
  auto args = spend_query(req.target);
  if (!args) return fail(args.error());
  auto q = parse_report_query(*args);
  if (!q) return fail(q.error());
  if (auto p = restrict_to_caller(q->filter, caller)) return fail(*p);
  return ok(spend_report_json(make_spend_report(store_, *q)));
}

std::vector<std::pair<std::string, proxy::local_handler>> endpoints(std::shared_ptr<admin_api> api) {
  auto handler = [api](const local_request& req) { return api->handle(req); };
  return {{"/key/", handler}, {"/spend/", handler}};
}

}  // namespace passgate::admin

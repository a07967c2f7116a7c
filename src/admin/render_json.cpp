#include "admin/render_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "admin/time_format.hpp"

namespace passgate::admin {
namespace {

namespace json = boost::json;

template <class T>
json::value opt(const std::optional<T>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::value text_or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }

json::object key_object(const auth::key_record& r) {
  json::object o;
  o["key_id"] = r.key_id;
  o["key_alias"] = r.key_alias;
  o["key_prefix"] = r.key_prefix;
  o["created_at"] = iso_seconds(r.created_at);
  o["expires_at"] = r.expires_at ? json::value(iso_seconds(*r.expires_at)) : json::value(nullptr);
  o["revoked"] = r.revoked;
  o["max_budget"] = opt(r.max_budget);
  o["budget_duration"] = text_or_null(r.budget_duration);
  o["rpm_limit"] = opt(r.rpm_limit);
  o["tpm_limit"] = opt(r.tpm_limit);
  o["max_parallel_requests"] = opt(r.max_parallel_requests);
  boost::system::error_code ec;
  json::value meta = json::parse(r.metadata_json, ec);
  o["metadata"] = (!ec && meta.is_object()) ? std::move(meta) : json::value(json::object{});
  json::array routes;
  for (const auto& name : r.allowed_routes) routes.emplace_back(name);
  o["allowed_routes"] = std::move(routes);
  json::array labels;
  for (auto l : policy::all_labels)
    if (r.allowed_credentials.contains(l)) labels.emplace_back(policy::to_string(l));
  o["allowed_credentials"] = std::move(labels);
  json::array budget_labels;
  for (auto l : policy::all_labels)
    if (r.budget_credentials.contains(l)) budget_labels.emplace_back(policy::to_string(l));
  o["budget_credentials"] = std::move(budget_labels);
  return o;
}

json::object group_object(const store::spend_group_row& g) {
  json::object o;
  o["group"] = g.group;
  o["requests"] = g.requests;
  o["input_tokens"] = g.input_tokens;
  o["output_tokens"] = g.output_tokens;
  o["cache_creation_input_tokens"] = g.cache_creation_input_tokens;
  o["cache_read_input_tokens"] = g.cache_read_input_tokens;
  o["cost_usd"] = g.cost_usd;
  o["unpriced_requests"] = g.unpriced_requests;
  return o;
}

json::object spend_object(const usage::spend_record& r) {
  json::object o;
  o["request_id"] = r.request_id;
  o["started_at"] = iso_millis(r.started_at_ms);
  o["duration_ms"] = r.duration_ms;
  o["ttfb_ms"] = opt(r.ttfb_ms);
  o["key_id"] = r.key_id;
  o["key_alias"] = r.key_alias;
  o["route"] = r.route;
  o["provider"] = r.provider;
  o["path"] = r.path;
  o["method"] = r.method;
  o["status"] = r.status;
  o["model"] = r.model;
  o["credential"] = r.credential;
  o["input_tokens"] = opt(r.input_tokens);
  o["output_tokens"] = opt(r.output_tokens);
  o["cache_creation_input_tokens"] = opt(r.cache_creation_input_tokens);
  o["cache_read_input_tokens"] = opt(r.cache_read_input_tokens);
  o["cost_usd"] = opt(r.cost_usd);
  o["outcome"] = r.outcome;
  o["end_user"] = r.end_user;
  o["session_id"] = r.session_id;
  o["agent_id"] = r.agent_id;
  o["client"] = r.client;
  o["cursor"] = cursor_of(r);
  return o;
}

// {"<name>": [rows as objects], "page": n, "size": n, "has_more": bool}
template <class Rows, class ToObject>
json::object page_object(const char* name, const Rows& rows, ToObject to_object, const paging& p, bool has_more) {
  json::array items;
  for (const auto& r : rows) items.emplace_back(to_object(r));
  json::object o;
  o[name] = std::move(items);
  o["page"] = p.page;
  o["size"] = p.size;
  o["has_more"] = has_more;
  return o;
}

template <class Rows, class ToObject>
std::string page_json(const char* name, const Rows& rows, ToObject to_object, const paging& p, bool has_more) {
  return json::serialize(page_object(name, rows, to_object, p, has_more));
}

}  // namespace

std::string key_json(const auth::key_record& rec) { return json::serialize(key_object(rec)); }

std::string created_key_json(const created_key& k) {
  json::object o;
  o["key"] = k.key;
  for (auto& [name, v] : key_object(k.record)) o[name] = v;
  return json::serialize(o);
}

std::string key_info_json(const auth::key_record& rec, const budget_status& budget) {
  json::object info = key_object(rec);
  info["spend"] = budget.spend_usd;
  info["budget_reset_at"] = budget.reset_at ? json::value(iso_seconds(*budget.reset_at)) : json::value(nullptr);
  json::object o;
  o["key_id"] = rec.key_id;
  o["info"] = std::move(info);
  return json::serialize(o);
}

std::string key_list_json(const key_page& p, const std::vector<budget_status>& budgets) {
  std::size_t i = 0;
  auto with_spend = [&](const auth::key_record& rec) {
    json::object o = key_object(rec);
    const auto& b = budgets.at(i++);
    o["spend"] = b.spend_usd;
    o["budget_reset_at"] = b.reset_at ? json::value(iso_seconds(*b.reset_at)) : json::value(nullptr);
    return o;
  };
  return page_json("keys", p.keys, with_spend, p.page, p.has_more);
}

std::string revoke_json(const revoke_outcome& r) {
  json::array deleted, missing;
  for (const auto& id : r.revoked) deleted.emplace_back(id);
  for (const auto& id : r.not_found) missing.emplace_back(id);
  json::object o;
  o["deleted_keys"] = std::move(deleted);
  o["not_found"] = std::move(missing);
  return json::serialize(o);
}

std::string spend_logs_json(const spend_page& p) {
  json::object o = page_object("logs", p.rows, spend_object, p.page, p.has_more);
  // The cursor for the next older page: the last row's, while more follow.
  o["next_before"] = p.has_more && !p.rows.empty() ? json::value(cursor_of(p.rows.back())) : json::value(nullptr);
  return json::serialize(o);
}

std::string spend_report_json(const spend_report& r) {
  json::array rows;
  for (const auto& g : r.rows) {
    json::object row = group_object(g);
    if (r.split) row["split"] = g.split;
    rows.emplace_back(std::move(row));
  }
  json::object o;
  o["group_by"] = to_string(r.group);
  if (r.split) o["split_by"] = to_string(*r.split);
  o["rows"] = std::move(rows);
  json::object totals = group_object(r.totals);
  totals.erase("group");
  o["totals"] = std::move(totals);
  return json::serialize(o);
}

}  // namespace passgate::admin

#include "admin/spend_service.hpp"

#include "admin/time_format.hpp"

#include <algorithm>
#include <tuple>

#include "policy/credential_label.hpp"
#include "policy/provider.hpp"

namespace passgate::admin {
namespace {

constexpr std::int64_t ms_per_day = 86'400'000;

constexpr store::spend_group all_groups[] = {store::spend_group::key,      store::spend_group::model,
                                             store::spend_group::credential, store::spend_group::day,
                                             store::spend_group::hour,     store::spend_group::end_user,
                                             store::spend_group::session_id, store::spend_group::client};

std::optional<store::spend_group> group_named(std::string_view name) {
  for (auto g : all_groups)
    if (name == to_string(g)) return g;
  return std::nullopt;
}

constexpr std::string_view outcomes[] = {"ok", "upstream_error", "client_closed", "shutdown", "refused",
                                         "gateway_error"};

// Free text filters: bounded like the fields they match.
result<std::optional<std::string>> text_filter(const std::optional<std::string>& v, const char* name) {
  if (v && v->size() > 256) return bad_request(std::string("'") + name + "' is longer than 256 bytes");
  return v;
}

}  // namespace

std::string_view to_string(store::spend_group g) {
  switch (g) {
    case store::spend_group::key: return "key";
    case store::spend_group::model: return "model";
    case store::spend_group::credential: return "credential";
    case store::spend_group::day: return "day";
    case store::spend_group::hour: return "hour";
    case store::spend_group::end_user: return "end_user";
    case store::spend_group::session_id: return "session_id";
    case store::spend_group::client: return "client";
  }
  return "key";
}

std::string cursor_of(const usage::spend_record& row) {
  return std::to_string(row.started_at_ms) + "-" + std::to_string(row.row_id);
}

std::optional<store::spend_cursor> parse_cursor(std::string_view text) {
  auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto t = parse_count(text.substr(0, dash));
  auto id = parse_count(text.substr(dash + 1));
  if (!t || !id) return std::nullopt;
  return store::spend_cursor{*t, *id};
}

result<store::spend_filter> parse_spend_filter(const spend_args& a) {
  store::spend_filter f;
  f.key_id = a.key_id;
  f.model = a.model;
  for (auto [arg, field, name] : {std::tuple{&a.end_user, &f.end_user, "end_user"},
                                  std::tuple{&a.session_id, &f.session_id, "session_id"},
                                  std::tuple{&a.client, &f.client, "client"},
                                  std::tuple{&a.route, &f.route, "route"}}) {
    auto v = text_filter(*arg, name);
    if (!v) return v.error();
    *field = *v;
  }
  if (a.outcome) {
    if (std::find(std::begin(outcomes), std::end(outcomes), *a.outcome) == std::end(outcomes))
      return bad_request("'outcome' must be one of ok, upstream_error, client_closed, shutdown, refused, "
                         "gateway_error, not '" + *a.outcome + "'");
    f.outcome = a.outcome;
  }
  if (a.provider) {
    if (!policy::provider_from_string(*a.provider))
      return bad_request("'provider' must be one of anthropic, openai, gemini, bedrock, generic, not '" + *a.provider + "'");
    f.provider = a.provider;
  }
  if (a.credential) {
    if (!policy::label_from_string(*a.credential))
      return bad_request("'credential' must be one of " + policy::label_set::all().describe() + ", not '" +
                         *a.credential + "'");
    f.credential = a.credential;
  }
  if (a.status) {
    auto n = parse_count(*a.status);
    if (!n || *n > 999) return bad_request("'status' must be an HTTP status code such as 200");
    f.status = int(*n);
  }
  const char* date_help = " must be an ISO 8601 date (2025-01-31) or date-time (2025-01-31T12:00:00Z)";
  if (a.start_date) {
    auto t = parse_iso_time(*a.start_date);
    if (!t) return bad_request(std::string("'start_date'") + date_help);
    f.from_ms = t->unix_ms;
  }
  if (a.end_date) {
    auto t = parse_iso_time(*a.end_date);
    if (!t) return bad_request(std::string("'end_date'") + date_help);
    f.to_ms = t->date_only ? t->unix_ms + ms_per_day : t->unix_ms;
  }
  if (f.from_ms && f.to_ms && *f.from_ms >= *f.to_ms) return bad_request("'start_date' must be before 'end_date'");
  return f;
}

result<spend_logs_query> parse_logs_query(const spend_args& a) {
  if (a.group_by || a.split_by) return bad_request("'group_by' and 'split_by' belong to /spend/report");
  auto f = parse_spend_filter(a);
  if (!f) return f.error();
  if ((a.before || a.after) && a.page)
    return bad_request("give either 'page' or a cursor ('before', 'after'), not both");
  for (auto [arg, field, name] : {std::tuple{&a.before, &f->before, "before"}, std::tuple{&a.after, &f->after, "after"}}) {
    if (!*arg) continue;
    auto c = parse_cursor(**arg);
    if (!c) return bad_request(std::string("'") + name + "' must be a row's cursor from /spend/logs");
    *field = *c;
  }
  auto p = parse_paging(a.page, a.size);
  if (!p) return p.error();
  return spend_logs_query{std::move(*f), *p};
}

result<spend_report_query> parse_report_query(const spend_args& a) {
  if (a.page || a.size || a.before || a.after)
    return bad_request("/spend/report is not paged ('page', 'size', 'before' and 'after' belong to /spend/logs)");
  auto f = parse_spend_filter(a);
  if (!f) return f.error();
  spend_report_query q{std::move(*f)};
  if (a.group_by) {
    auto g = group_named(*a.group_by);
    if (!g)
      return bad_request("'group_by' must be key, model, credential, day, hour, end_user, session_id or client, not '" +
                         *a.group_by + "'");
    q.group = *g;
  }
  if (a.split_by) {
    auto g = group_named(*a.split_by);
    if (!g || *g == store::spend_group::day || *g == store::spend_group::hour)
      return bad_request("'split_by' must be key, model, credential, end_user, session_id or client, not '" +
                         *a.split_by + "'");
    q.split = *g;
  }
  return q;
}

spend_page spend_logs(store::store& st, const spend_logs_query& q) {
  spend_page out;
  out.page = q.page;
  out.keyset = q.filter.before || q.filter.after;
  // A cursor replaces the offset: the page is the `size` rows next to it.
  auto probe = q.page.probe();
  if (out.keyset) probe.offset = 0;
  out.rows = st.spend_logs(q.filter, probe);
  out.has_more = q.page.trim(out.rows);
  return out;
}

spend_report make_spend_report(store::store& st, const spend_report_query& q) {
  spend_report out;
  out.group = q.group;
  out.split = q.split;
  out.rows = st.spend_report(q.filter, q.group, q.split);
  auto& t = out.totals;
  t.group = "total";
  for (const auto& r : out.rows) {
    t.requests += r.requests;
    t.input_tokens += r.input_tokens;
    t.output_tokens += r.output_tokens;
    t.cache_creation_input_tokens += r.cache_creation_input_tokens;
    t.cache_read_input_tokens += r.cache_read_input_tokens;
    t.cost_usd += r.cost_usd;
    t.unpriced_requests += r.unpriced_requests;
  }
  return out;
}

}  // namespace passgate::admin

#include "admin/spend_service.hpp"

#include "admin/time_format.hpp"
#include "policy/credential_label.hpp"

namespace passgate::admin {
namespace {

constexpr std::int64_t ms_per_day = 86'400'000;

}  // namespace

std::string_view to_string(store::spend_group g) {
  switch (g) {
    case store::spend_group::key: return "key";
    case store::spend_group::model: return "model";
    case store::spend_group::credential: return "credential";
    case store::spend_group::day: return "day";
  }
  return "key";
}

result<store::spend_filter> parse_spend_filter(const spend_args& a) {
  store::spend_filter f;
  f.key_id = a.key_id;
  f.model = a.model;
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
  if (a.group_by) return bad_request("'group_by' belongs to /spend/report");
  auto f = parse_spend_filter(a);
  if (!f) return f.error();
  auto p = parse_paging(a.page, a.size);
  if (!p) return p.error();
  return spend_logs_query{std::move(*f), *p};
}

result<spend_report_query> parse_report_query(const spend_args& a) {
  if (a.page || a.size) return bad_request("/spend/report is not paged ('page' and 'size' belong to /spend/logs)");
  auto f = parse_spend_filter(a);
  if (!f) return f.error();
  spend_report_query q{std::move(*f)};
  if (a.group_by) {
    bool known = false;
    for (auto g : {store::spend_group::key, store::spend_group::model, store::spend_group::credential,
                   store::spend_group::day})
      if (*a.group_by == to_string(g)) q.group = g, known = true;
    if (!known) return bad_request("'group_by' must be key, model, credential or day, not '" + *a.group_by + "'");
  }
  return q;
}

spend_page spend_logs(store::store& st, const spend_logs_query& q) {
  spend_page out;
  out.page = q.page;
  out.rows = st.spend_logs(q.filter, q.page.probe());
  out.has_more = q.page.trim(out.rows);
  return out;
}

spend_report make_spend_report(store::store& st, const spend_report_query& q) {
  spend_report out;
  out.group = q.group;
  out.rows = st.spend_report(q.filter, q.group);
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

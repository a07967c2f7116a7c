#pragma once
// Spend reports shared by the admin API and the CLI: filters given as text (the
// query string's values, the CLI's options) → store::spend_filter, then a page of
// rows or per-group sums with totals.
#include <optional>
#include <string>
#include <vector>

#include "admin/paging.hpp"
#include "admin/problem.hpp"
#include "store/store.hpp"
#include "usage/spend_record.hpp"

namespace passgate::admin {

// What a caller may pass, by the API's parameter names. Absent: no filter.
struct spend_args {
  std::optional<std::string> key_id;
  std::optional<std::string> model;
  std::optional<std::string> credential;  // a label: oauth, byok, bearer, server, none
  std::optional<std::string> status;      // an HTTP status, 0..999
  std::optional<std::string> start_date;  // inclusive; ISO date or date-time, UTC unless a zone is given
  std::optional<std::string> end_date;    // a date: up to the end of that day; a date-time: exclusive
  std::optional<std::string> end_user;
  std::optional<std::string> session_id;
  std::optional<std::string> client;
  std::optional<std::string> outcome;     // ok, upstream_error, client_closed, shutdown, refused, gateway_error
  std::optional<std::string> provider;    // anthropic, openai, gemini, bedrock, generic
  std::optional<std::string> route;       // a route's name
  std::optional<std::string> page;        // logs only
  std::optional<std::string> size;        // logs only
  std::optional<std::string> before;      // logs only: a row's cursor; older rows (keyset paging)
  std::optional<std::string> after;       // logs only: a row's cursor; newer rows (a live tail)
  std::optional<std::string> group_by;    // report only: key | model | credential | day | hour | end_user | session_id | client
  std::optional<std::string> split_by;    // report only: a second grouping within each group (not a time)
};

struct spend_logs_query {
  store::spend_filter filter;
  paging page;
};
struct spend_report_query {
  store::spend_filter filter;
  store::spend_group group = store::spend_group::key;
  std::optional<store::spend_group> split;
};

// A row's place for keyset paging, as the API shows it: "<started_at_ms>-<row id>".
std::string cursor_of(const usage::spend_record& row);
std::optional<store::spend_cursor> parse_cursor(std::string_view text);

result<store::spend_filter> parse_spend_filter(const spend_args& a);
result<spend_logs_query> parse_logs_query(const spend_args& a);
result<spend_report_query> parse_report_query(const spend_args& a);
std::string_view to_string(store::spend_group g);

struct spend_page {
  std::vector<usage::spend_record> rows;  // newest first
  paging page;
  bool has_more = false;
  bool keyset = false;  // read with before/after: next_before continues it
};
spend_page spend_logs(store::store& st, const spend_logs_query& q);

struct spend_report {
  store::spend_group group = store::spend_group::key;
  std::optional<store::spend_group> split;
  std::vector<store::spend_group_row> rows;
  store::spend_group_row totals;  // group "total"
};
spend_report make_spend_report(store::store& st, const spend_report_query& q);

}  // namespace passgate::admin

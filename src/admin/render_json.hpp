#pragma once
// The JSON the admin API answers with, and that the CLI prints with --json. Keys
// are shown by id and display prefix; the full key only in a creation's answer.
// Times are ISO 8601 UTC strings (see time_format.hpp); absent values are null.
#include <string>

#include "admin/key_service.hpp"
#include "admin/spend_service.hpp"
#include "auth/key_record.hpp"
#include "usage/spend_record.hpp"

namespace passgate::admin {

// key_id, key_alias, key_prefix, created_at, expires_at, revoked, max_budget,
// budget_duration, rpm_limit, tpm_limit, max_parallel_requests, metadata,
// allowed_routes ([]: every route), allowed_credentials.
std::string key_json(const auth::key_record& rec);
// {"key": <full key>, …every key_json field}
std::string created_key_json(const created_key& k);
// {"key_id": …, "info": {…key_json fields, "spend": USD this budget period,
//  "budget_reset_at": ISO time or null}}
std::string key_info_json(const auth::key_record& rec, const budget_status& budget);
// {"keys": [...], "page": n, "size": n, "has_more": bool}
// Each record with its spend this period (budgets[i] for p.keys[i]), as /key/info.
std::string key_list_json(const key_page& p, const std::vector<budget_status>& budgets);
// {"deleted_keys": [key ids], "not_found": [ids or display prefixes]}
std::string revoke_json(const revoke_outcome& r);

// {"logs": [rows: the spend_record fields by name; started_at with milliseconds,
// cost_usd null when unknown], "page": n, "size": n, "has_more": bool}
std::string spend_logs_json(const spend_page& p);
// {"group_by": …, "rows": [{"group", "requests", token sums, "cost_usd", "unpriced_requests"}], "totals": {…}}
std::string spend_report_json(const spend_report& r);

}  // namespace passgate::admin

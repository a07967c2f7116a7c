#pragma once
// The CLI's readable output: aligned tables for listings, "field: value" lines
// for one key. (--json prints render_json.hpp's text instead.)
#include <optional>
#include <string>
#include <vector>

#include "admin/key_service.hpp"
#include "admin/spend_service.hpp"

namespace passgate::admin {

// Columns padded to their widest cell (counted in UTF-8 characters).
std::string text_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

// One key, every field; with the full key first when it was just created, and
// its spend when known.
std::string key_details_text(const auth::key_record& rec, const std::string* full_key = nullptr,
                             const budget_status* budget = nullptr);
std::string key_table_text(const key_page& p);
std::string revoke_text(const revoke_outcome& r);
std::string spend_logs_text(const spend_page& p);
std::string spend_report_text(const spend_report& r);

}  // namespace passgate::admin

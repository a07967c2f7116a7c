#include "admin/render_text.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <type_traits>

#include "admin/time_format.hpp"

namespace passgate::admin {
namespace {

std::size_t display_width(const std::string& s) {
  // UTF-8: count the bytes that start a character.
  return std::size_t(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

std::string usd(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

template <class T>
std::string or_dash(const std::optional<T>& v) {
  if (!v) return "-";
  if constexpr (std::is_floating_point_v<T>) return usd(*v);
  else return std::to_string(*v);
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

std::string labels(const auth::key_record& r) {
  return r.allowed_credentials.is_all() ? "all" : r.allowed_credentials.describe();
}

std::string routes(const auth::key_record& r) {
  if (r.allowed_routes.empty()) return "all";
  std::string out;
  for (const auto& n : r.allowed_routes) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string expires(const auth::key_record& r) { return r.expires_at ? iso_seconds(*r.expires_at) : "never"; }

std::string paging_line(const paging& p, std::size_t shown, bool has_more) {
  std::string out = "page " + std::to_string(p.page) + " (" + std::to_string(shown) + " rows";
  if (has_more) out += "; more on page " + std::to_string(p.page + 1);
  return out + ")\n";
}

}  // namespace

std::string text_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_width(row[i]));
  };
  measure(header);
  for (const auto& r : rows) measure(r);
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    std::string l;
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
      l += row[i];
      if (i + 1 < row.size()) l += std::string(width[i] - display_width(row[i]) + 2, ' ');
    }
    out += l + "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
  return out;
}

std::string key_details_text(const auth::key_record& r, const std::string* full_key, const budget_status* budget) {
  std::vector<std::pair<std::string, std::string>> f;
  if (full_key) f.emplace_back("key", *full_key + "   (shown once: store it now)");
  f.emplace_back("key_id", r.key_id);
  f.emplace_back("key_alias", or_dash(r.key_alias));
  f.emplace_back("key_prefix", r.key_prefix);
  f.emplace_back("created_at", iso_seconds(r.created_at));
  f.emplace_back("expires_at", expires(r));
  f.emplace_back("revoked", r.revoked ? "yes" : "no");
  f.emplace_back("max_budget", or_dash(r.max_budget));
  f.emplace_back("budget_duration", or_dash(r.budget_duration));
  f.emplace_back("rpm_limit", or_dash(r.rpm_limit));
  f.emplace_back("tpm_limit", or_dash(r.tpm_limit));
  f.emplace_back("max_parallel_requests", or_dash(r.max_parallel_requests));
  f.emplace_back("allowed_routes", routes(r));
  f.emplace_back("allowed_credentials", labels(r));
  f.emplace_back("budget_credentials", r.budget_credentials.is_all() ? "all" : r.budget_credentials.describe());
  f.emplace_back("metadata", r.metadata_json);
  if (budget) {
    f.emplace_back("spend", usd(budget->spend_usd) + (r.budget_duration.empty() ? " (all time)" : " (this period)"));
    f.emplace_back("budget_reset_at", budget->reset_at ? iso_seconds(*budget->reset_at) : "-");
  }
  std::string out;
  for (const auto& [name, value] : f) out += name + ":" + std::string(23 - name.size(), ' ') + value + "\n";
  return out;
}

std::string key_table_text(const key_page& p) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : p.keys)
    rows.push_back({r.key_id, or_dash(r.key_alias), r.key_prefix, iso_seconds(r.created_at), expires(r),
                    r.revoked ? "revoked" : "active", routes(r), labels(r)});
  return text_table({"KEY_ID", "ALIAS", "PREFIX", "CREATED", "EXPIRES", "STATE", "ROUTES", "CREDENTIALS"}, rows) +
         paging_line(p.page, p.keys.size(), p.has_more);
}

std::string revoke_text(const revoke_outcome& r) {
  std::string out;
  for (const auto& id : r.revoked) out += "revoked " + id + "\n";
  for (const auto& id : r.not_found) out += "not found: " + id + "\n";
  return out;
}

std::string spend_logs_text(const spend_page& p) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : p.rows)
    rows.push_back({iso_millis(r.started_at_ms), r.request_id, or_dash(r.key_alias.empty() ? r.key_id : r.key_alias),
                    r.method + " " + r.path, std::to_string(r.status), or_dash(r.model), or_dash(r.credential),
                    or_dash(r.input_tokens), or_dash(r.output_tokens), or_dash(r.cost_usd), std::to_string(r.duration_ms),
                    or_dash(r.outcome)});
  return text_table({"STARTED", "REQUEST_ID", "KEY", "REQUEST", "STATUS", "MODEL", "CRED", "IN", "OUT", "COST_USD",
                     "MS", "OUTCOME"},
                    rows) +
         paging_line(p.page, p.rows.size(), p.has_more);
}

std::string spend_report_text(const spend_report& r) {
  auto cells = [](const store::spend_group_row& g) -> std::vector<std::string> {
    return {or_dash(g.group),
            std::to_string(g.requests),
            std::to_string(g.input_tokens),
            std::to_string(g.output_tokens),
            std::to_string(g.cache_creation_input_tokens),
            std::to_string(g.cache_read_input_tokens),
            usd(g.cost_usd),
            std::to_string(g.unpriced_requests)};
  };
  std::vector<std::vector<std::string>> rows;
  for (const auto& g : r.rows) rows.push_back(cells(g));
  rows.push_back(cells(r.totals));
  std::string group = std::string(to_string(r.group));
  std::transform(group.begin(), group.end(), group.begin(), [](char c) { return char(std::toupper(c)); });
  return text_table({group, "REQUESTS", "INPUT", "OUTPUT", "CACHE_WRITE", "CACHE_READ", "COST_USD", "UNPRICED"}, rows);
}

}  // namespace passgate::admin

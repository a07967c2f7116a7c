// `passgate keys create|list|info|revoke`: the admin API's key operations on the
// store directly (admin::key_service), for the machine the store lives on. A
// running server sees the change at its key cache's next poll.
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "admin/key_request.hpp"
#include "admin/key_service.hpp"
#include "admin/render_json.hpp"
#include "admin/render_text.hpp"
#include "app/commands.hpp"
#include "auth/key_format.hpp"
#include "common/headers.hpp"

namespace passgate::app {
namespace {

struct create_options {
  std::string config_file;
  bool json = false;
  std::optional<std::string> alias, duration, max_budget, budget_duration, rpm_limit, tpm_limit,
      max_parallel_requests, allowed_credentials, budget_credentials, allowed_routes, metadata;
  std::string key;  // update: the key id or full key
};

struct list_options {
  std::string config_file;
  bool json = false;
  std::optional<std::string> page, size;
};

struct target_options {
  std::string config_file;
  bool json = false;
  std::vector<std::string> keys;  // key ids or full keys
};

void common_options(CLI::App* cmd, std::string& config_file, bool& json) {
  store_command_options(cmd, config_file, json, "print the admin API's JSON instead of text");
}

// ---- option text → key_fields (the API's field names in problems) ----

std::optional<admin::problem> integer(const std::optional<std::string>& text, const char* field,
                                      admin::patch<std::int64_t>& out) {
  if (!text) return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size())
    return admin::bad_request(std::string("--") + field + " must be a whole number, not '" + *text + "'");
  out.emplace(v);
  return std::nullopt;
}

std::optional<admin::problem> number(const std::optional<std::string>& text, const char* field,
                                     admin::patch<double>& out) {
  if (!text) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text->c_str(), &end);
  if (text->empty() || errno != 0 || end != text->c_str() + text->size())
    return admin::bad_request(std::string("--") + field + " must be a number, not '" + *text + "'");
  out.emplace(v);
  return std::nullopt;
}

// "oauth, byok" → {"oauth", "byok"}
admin::patch<std::vector<std::string>> list(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::vector<std::string> items;
  hdr::for_each_token(*text, [&](std::string_view t) { items.emplace_back(t); });
  return items;
}

admin::result<admin::key_fields> fields_from(const create_options& o) {
  admin::key_fields f;
  if (o.alias) f.key_alias.emplace(*o.alias);
  if (o.duration) f.duration.emplace(*o.duration);
  if (o.budget_duration) f.budget_duration.emplace(*o.budget_duration);
  if (auto p = number(o.max_budget, "max-budget", f.max_budget)) return *p;
  if (auto p = integer(o.rpm_limit, "rpm-limit", f.rpm_limit)) return *p;
  if (auto p = integer(o.tpm_limit, "tpm-limit", f.tpm_limit)) return *p;
  if (auto p = integer(o.max_parallel_requests, "max-parallel-requests", f.max_parallel_requests)) return *p;
  f.allowed_credentials = list(o.allowed_credentials);
  f.budget_credentials = list(o.budget_credentials);
  f.allowed_routes = list(o.allowed_routes);
  if (o.metadata) {
    auto m = admin::parse_metadata_text(*o.metadata, "--metadata");
    if (!m) return m.error();
    f.metadata_json.emplace(*m);
  }
  return f;
}

// The settings of a key, shared by create and update.
void key_setting_options(CLI::App* cmd, create_options& c) {
  optional_text(cmd, "--alias", c.alias, "a human name (key_alias)");
  optional_text(cmd, "--duration", c.duration, "lifetime, e.g. 30d, 12h, 15m, 30s (default: never expires)");
  optional_text(cmd, "--max-budget", c.max_budget, "budget in USD");
  optional_text(cmd, "--budget-duration", c.budget_duration, "budget period: 1d, 1w, 1mo, 12h, … resetting on UTC calendar boundaries (default: lifetime)");
  optional_text(cmd, "--rpm-limit", c.rpm_limit, "requests per minute");
  optional_text(cmd, "--tpm-limit", c.tpm_limit, "tokens per minute");
  optional_text(cmd, "--max-parallel-requests", c.max_parallel_requests, "requests in flight at once");
  optional_text(cmd, "--allowed-credentials", c.allowed_credentials,
                "credential labels the key may use, e.g. oauth,byok (default: all)");
  optional_text(cmd, "--allowed-routes", c.allowed_routes, "route names, e.g. anthropic (default: all)");
  optional_text(cmd, "--metadata", c.metadata, "a JSON object, e.g. '{\"team\":\"ml\"}'");
  optional_text(cmd, "--budget-credentials", c.budget_credentials,
                "credential kinds whose cost counts toward the budget, e.g. server (default: all)");
}

// ---- the commands ----

int create(const create_options& o) {
  auto fields = fields_from(o);
  if (!fields) return report_problem(fields.error());
  return run_on_store(o.config_file, [&](const config::config& cfg, store::store& st) {
    admin::key_service svc(st, cfg);
    auto created = svc.create(*fields);
    if (!created) return report_problem(created.error());
    std::cout << (o.json ? admin::created_key_json(*created) + "\n"
                         : admin::key_details_text(created->record, &created->key));
    return 0;
  });
}

// Only the options given change; the key's id and the key itself stay.
int update(const create_options& o) {
  auto fields = fields_from(o);
  if (!fields) return report_problem(fields.error());
  return run_on_store(o.config_file, [&](const config::config& cfg, store::store& st) {
    admin::key_service svc(st, cfg);
    auto rec = auth::looks_like_virtual_key(o.key) ? svc.info_by_key(o.key) : svc.info_by_id(o.key);
    if (!rec) return report_problem(rec.error());
    auto updated = svc.update(rec->key_id, *fields);
    if (!updated) return report_problem(updated.error());
    std::cout << (o.json ? admin::key_json(*updated) + "\n" : admin::key_details_text(*updated));
    return 0;
  });
}

int list_keys(const list_options& o) {
  auto p = admin::parse_paging(o.page, o.size);
  if (!p) return report_problem(p.error());
  return run_on_store(o.config_file, [&](const config::config& cfg, store::store& st) {
    admin::key_service svc(st, cfg);
    auto page = svc.list(*p);
    std::cout << (o.json ? admin::key_list_json(page, svc.budgets(page.keys)) + "\n" : admin::key_table_text(page));
    return 0;
  });
}

int info(const target_options& o) {
  return run_on_store(o.config_file, [&](const config::config& cfg, store::store& st) {
    admin::key_service svc(st, cfg);
    const auto& k = o.keys.front();
    auto rec = auth::looks_like_virtual_key(k) ? svc.info_by_key(k) : svc.info_by_id(k);
    if (!rec) return report_problem(rec.error());
    auto budget = svc.budget(*rec);
    std::cout << (o.json ? admin::key_info_json(*rec, budget) + "\n" : admin::key_details_text(*rec, nullptr, &budget));
    return 0;
  });
}

int revoke(const target_options& o) {
  std::vector<std::string> keys, ids;
  for (const auto& k : o.keys) (auth::looks_like_virtual_key(k) ? keys : ids).push_back(k);
  return run_on_store(o.config_file, [&](const config::config& cfg, store::store& st) {
    admin::key_service svc(st, cfg);
    auto out = svc.revoke(keys, ids);
    std::cout << (o.json ? admin::revoke_json(out) + "\n" : admin::revoke_text(out));
    return out.not_found.empty() ? 0 : 1;
  });
}

}  // namespace

void add_keys(CLI::App& app) {
  auto* keys = app.add_subcommand("keys", "Manage virtual keys in the store (works beside a running server)");
  keys->require_subcommand(1);

  static create_options c;
  auto* create_cmd = keys->add_subcommand("create", "Create a key and print it (the full key is shown only this once)");
  common_options(create_cmd, c.config_file, c.json);
  key_setting_options(create_cmd, c);
  create_cmd->callback([] { set_exit_code(create(c)); });

  static create_options u;
  auto* update_cmd = keys->add_subcommand("update", "Change a key's settings (only the options given); takes effect "
                                                    "on a running server at its key cache's next poll (1 s)");
  common_options(update_cmd, u.config_file, u.json);
  update_cmd->add_option("key", u.key, "key id (key_…) or full key (sk-pg-…)")->required();
  key_setting_options(update_cmd, u);
  update_cmd->callback([] { set_exit_code(update(u)); });

  static list_options l;
  auto* list_cmd = keys->add_subcommand("list", "List keys, oldest first (never the keys themselves)");
  common_options(list_cmd, l.config_file, l.json);
  optional_text(list_cmd, "--page", l.page, "page number, from 1");
  optional_text(list_cmd, "--size", l.size, "keys per page, 1.." + std::to_string(admin::max_page_size) + " (default " +
                                                std::to_string(admin::default_page_size) + ")");
  list_cmd->callback([] { set_exit_code(list_keys(l)); });

  static target_options i;
  auto* info_cmd = keys->add_subcommand("info", "Show one key, by key id or by the full key");
  common_options(info_cmd, i.config_file, i.json);
  info_cmd->add_option("key", i.keys, "key id (key_…) or full key (sk-pg-…)")->required()->expected(1);
  info_cmd->callback([] { set_exit_code(info(i)); });

  static target_options r;
  auto* revoke_cmd = keys->add_subcommand("revoke", "Revoke keys, by key id or full key (exit 1 if any is unknown)");
  common_options(revoke_cmd, r.config_file, r.json);
  revoke_cmd->add_option("keys", r.keys, "key ids (key_…) or full keys (sk-pg-…)")->required();
  revoke_cmd->callback([] { set_exit_code(revoke(r)); });
}

}  // namespace passgate::app

// `passgate spend logs|report`: the admin API's spend reports on the store
// directly (admin/spend_service.hpp), as a table or as the API's JSON.
#include <iostream>

#include "admin/render_json.hpp"
#include "admin/render_text.hpp"
#include "admin/spend_service.hpp"
#include "app/commands.hpp"

namespace passgate::app {
namespace {

struct spend_options {
  std::string config_file;
  bool json = false;
  admin::spend_args args;
};

void filter_options(CLI::App* cmd, spend_options& o) {
  store_command_options(cmd, o.config_file, o.json, "print the admin API's JSON instead of a table");
  optional_text(cmd, "--key-id", o.args.key_id, "only this key's requests");
  optional_text(cmd, "--model", o.args.model, "only this model");
  optional_text(cmd, "--credential", o.args.credential, "only this credential label (oauth, byok, bearer, server, none)");
  optional_text(cmd, "--status", o.args.status, "only this HTTP status");
  optional_text(cmd, "--start-date", o.args.start_date, "from this ISO date or date-time (UTC), inclusive");
  optional_text(cmd, "--end-date", o.args.end_date,
                "until this ISO date (that whole day) or date-time (exclusive), UTC");
  optional_text(cmd, "--end-user", o.args.end_user, "only this end user (the account or user from metadata.user_id)");
  optional_text(cmd, "--session-id", o.args.session_id, "only this session (Claude Code's session id)");
  optional_text(cmd, "--client", o.args.client, "only this client (the user-agent's product token, e.g. claude-cli/2.1.3)");
  optional_text(cmd, "--outcome", o.args.outcome,
                "only this outcome (ok, upstream_error, client_closed, shutdown, refused, gateway_error)");
  optional_text(cmd, "--provider", o.args.provider, "only this provider (anthropic, openai, gemini, bedrock, generic)");
  optional_text(cmd, "--route", o.args.route, "only this route (its name in the config)");
}

int logs(const spend_options& o) {
  auto q = admin::parse_logs_query(o.args);
  if (!q) return report_problem(q.error());
  return run_on_store(o.config_file, [&](const config::config&, store::store& st) {
    auto page = admin::spend_logs(st, *q);
    std::cout << (o.json ? admin::spend_logs_json(page) + "\n" : admin::spend_logs_text(page));
    return 0;
  });
}

int report(const spend_options& o) {
  auto q = admin::parse_report_query(o.args);
  if (!q) return report_problem(q.error());
  return run_on_store(o.config_file, [&](const config::config&, store::store& st) {
    auto r = admin::make_spend_report(st, *q);
    std::cout << (o.json ? admin::spend_report_json(r) + "\n" : admin::spend_report_text(r));
    return 0;
  });
}

}  // namespace

void add_spend(CLI::App& app) {
  auto* spend = app.add_subcommand("spend", "Spend logs and reports from the store");
  spend->require_subcommand(1);

  static spend_options l;
  auto* logs_cmd = spend->add_subcommand("logs", "One row per request, newest first");
  filter_options(logs_cmd, l);
  optional_text(logs_cmd, "--page", l.args.page, "page number, from 1");
  optional_text(logs_cmd, "--size", l.args.size, "rows per page, 1.." + std::to_string(admin::max_page_size) +
                                                     " (default " + std::to_string(admin::default_page_size) + ")");
  optional_text(logs_cmd, "--before", l.args.before, "rows older than this cursor (a row's `cursor`, from --json)");
  optional_text(logs_cmd, "--after", l.args.after, "rows newer than this cursor");
  logs_cmd->callback([] { set_exit_code(logs(l)); });

  static spend_options r;
  auto* report_cmd = spend->add_subcommand("report", "Requests, tokens and cost per group, with totals");
  filter_options(report_cmd, r);
  optional_text(report_cmd, "--group-by", r.args.group_by,
                "key, model, credential, day, hour, end_user, session_id or client (default key)");
  optional_text(report_cmd, "--split-by", r.args.split_by,
                "within each group, by key, model, credential, end_user, session_id or client");
  report_cmd->callback([] { set_exit_code(report(r)); });
}

}  // namespace passgate::app

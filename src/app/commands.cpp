#include "app/commands.hpp"

#include <iostream>

#include "admin/problem.hpp"
#include "app/load_config.hpp"
#include "app/open_store.hpp"
#include "store/store.hpp"

namespace passgate::app {
namespace {
int g_exit_code = 0;
}
int exit_code() { return g_exit_code; }
void set_exit_code(int code) { g_exit_code = code; }

void add_commands(CLI::App& app) {
  add_serve(app);
  add_check_config(app);
  add_keys(app);
  add_spend(app);
  add_store(app);
  add_migrate(app);
}

int run_on_store(const std::string& config_file, const std::function<int(const config::config&, store::store&)>& f) {
  auto cfg = load_config_or_report(config_file);
  if (!cfg) return 2;
  try {
    auto st = open_store(cfg->store);
    return f(*cfg, *st);
  } catch (const store::unavailable& e) {
    return report_problem(admin::store_unavailable(e.what()));  // the admin API's 503 message
  } catch (const std::exception& e) {
    std::cerr << "passgate: " << e.what() << "\n";
    return 1;
  }
}

void store_command_options(CLI::App* cmd, std::string& config_file, bool& json, const std::string& json_help) {
  cmd->add_option("-c,--config", config_file, "YAML config file (its store: sqlite or postgres); default: the embedded defaults");
  cmd->add_flag("--json", json, json_help);
}

void optional_text(CLI::App* cmd, const std::string& name, std::optional<std::string>& out, const std::string& help) {
  cmd->add_option_function<std::string>(name, [&out](const std::string& v) { out = v; }, help);
}

int report_problem(const admin::problem& p) {
  std::cerr << "passgate: " << p.message << "\n";
  switch (p.kind) {
    case gateway_error::not_found:
    case gateway_error::unavailable:
    case gateway_error::internal: return 1;
    default: return 2;
  }
}

}  // namespace passgate::app

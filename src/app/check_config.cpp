// `passgate check-config FILE`: validate and print the effective config, secrets masked.
#include <iostream>

#include "app/commands.hpp"
#include "app/load_config.hpp"

namespace passgate::app {

void add_check_config(CLI::App& app) {
  auto* cmd = app.add_subcommand("check-config", "Validate a config file and print the effective config (secrets masked)");
  static std::string file;
  cmd->add_option("file", file, "YAML config file")->required();
  cmd->callback([] {
    auto cfg = load_config_or_report(file);
    if (!cfg) return set_exit_code(2);
    std::cout << config::describe(*cfg);
    set_exit_code(0);
  });
}

}  // namespace passgate::app

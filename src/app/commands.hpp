#pragma once
#include <CLI/App.hpp>

#include <functional>
#include <optional>
#include <string>

namespace passgate::config {
struct config;
}
namespace passgate::store {
class store;
}
namespace passgate::admin {
struct problem;
}

namespace passgate::app {
// Registers every subcommand; each sets the exit code when it runs.
void add_commands(CLI::App& app);
int exit_code();
void set_exit_code(int code);

void add_serve(CLI::App& app);
void add_check_config(CLI::App& app);
void add_keys(CLI::App& app);   // keys_command.cpp
void add_spend(CLI::App& app);  // spend_command.cpp
void add_store(CLI::App& app);    // store_command.cpp: store copy
void add_migrate(CLI::App& app);  // store_command.cpp

// For the commands that work on the store directly (keys, spend): loads the
// config (the defaults when config_file is empty), opens its store and runs f,
// whose result is the exit code. A bad config is 2; a store error is 1 (a store
// that is locked, read-only, full or gone prints the admin API's 503 message).
int run_on_store(const std::string& config_file, const std::function<int(const config::config&, store::store&)>& f);
// The options every store command takes: -c/--config and --json (`json_help`
// says what --json prints instead).
void store_command_options(CLI::App* cmd, std::string& config_file, bool& json, const std::string& json_help);
// An option whose value, when given, is kept as text for the admin parsers.
void optional_text(CLI::App* cmd, const std::string& name, std::optional<std::string>& out, const std::string& help);
// Prints "passgate: <message>" to stderr; returns the exit code for it: 1 for an
// unknown key or a store failure (admin::store_unavailable), 2 for bad input.
int report_problem(const admin::problem& p);
}  // namespace passgate::app

#pragma once
#include <CLI/App.hpp>

namespace passgate::app {
// Registers every subcommand; each sets the exit code when it runs.
void add_commands(CLI::App& app);
int exit_code();
void set_exit_code(int code);

void add_serve(CLI::App& app);
void add_check_config(CLI::App& app);
}  // namespace passgate::app

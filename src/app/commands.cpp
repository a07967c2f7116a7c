#include "app/commands.hpp"

namespace passgate::app {
namespace {
int g_exit_code = 0;
}
int exit_code() { return g_exit_code; }
void set_exit_code(int code) { g_exit_code = code; }

void add_commands(CLI::App& app) {
  add_serve(app);
  add_check_config(app);
}
}  // namespace passgate::app

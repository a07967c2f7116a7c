// passgate: thin entry point. Commands live in their own files.
#include <CLI/CLI.hpp>

#include "app/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"passgate — a credential-aware pass-through gateway for LLM provider APIs"};
  app.set_version_flag("--version", std::string("passgate ") + PASSGATE_VERSION_STRING);
  app.require_subcommand(1);
  passgate::app::add_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; any usage error exits 2, like the commands' own.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return passgate::app::exit_code();
}

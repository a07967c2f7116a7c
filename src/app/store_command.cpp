// `passgate migrate`: applies the store's schema migrations and says where it
// stands. `passgate store copy`: moves keys and spend from one store to another
// (a single box's SQLite file to the fleet's PostgreSQL), idempotently.
#include <cstdlib>
#include <iostream>

#include "admin/problem.hpp"
#include "app/commands.hpp"
#include "app/load_config.hpp"
#include "app/open_store.hpp"
#include "common/redact_url.hpp"
#include "store/copy_store.hpp"

namespace passgate::app {
namespace {

// A libpq URI or keyword string names PostgreSQL; anything else is a SQLite file.
bool names_postgres(std::string_view where) {
  return where.starts_with("postgres://") || where.starts_with("postgresql://") ||
         where.find('=') != std::string_view::npos;
}

// "os.environ/NAME" reads the variable, so a password need not be on the command line.
std::string resolve(const std::string& where) {
  constexpr std::string_view env_prefix = "os.environ/";
  if (!where.starts_with(env_prefix)) return where;
  const char* v = std::getenv(where.c_str() + env_prefix.size());
  if (!v || !*v) throw std::invalid_argument("environment variable " + where.substr(env_prefix.size()) + " is not set");
  return v;
}

std::unique_ptr<store::store> open_location(const std::string& where) {
  config::store_config c;
  if (names_postgres(where)) c.postgres = secret(where);
  else c.sqlite = where;
  return open_store(c);
}

struct copy_options {
  std::string from, to;
};

int copy(const copy_options& o) {
  try {
    auto from = open_location(resolve(o.from));
    auto to = open_location(resolve(o.to));
    std::cerr << "copying keys and spend from " << from->describe() << " to " << to->describe() << "\n";
    auto r = store::copy_store(*from, *to, [](std::int64_t rows) {
      std::cerr << "  " << rows << " spend row(s) copied\n";
    });
    std::cout << "keys: " << r.keys_added << " added, " << r.keys_updated << " updated; spend: " << r.spend_rows
              << " row(s) read (rows already in " << to->describe() << " are skipped, so copying twice adds nothing)\n";
    return 0;
  } catch (const store::unavailable& e) {
    return report_problem(admin::store_unavailable(e.what()));
  } catch (const std::exception& e) {
    std::cerr << "passgate: " << redact_url(e.what()) << "\n";
    return 1;
  }
}

}  // namespace

void add_store(CLI::App& app) {
  auto* store_cmd = app.add_subcommand("store", "Work on a store as a whole");
  store_cmd->require_subcommand(1);
  static copy_options c;
  auto* copy_cmd = store_cmd->add_subcommand(
      "copy", "Copy every key and spend row from one store to another; run it again to catch up, nothing doubles");
  copy_cmd->add_option("--from", c.from, "source: a SQLite file, or a postgresql:// URL")->required();
  copy_cmd->add_option("--to", c.to,
                       "destination: a postgresql:// URL (or os.environ/DATABASE_URL), or a SQLite file")
      ->required();
  copy_cmd->callback([] { set_exit_code(copy(c)); });
}

void add_migrate(CLI::App& app) {
  static std::string config_file;
  auto* cmd = app.add_subcommand(
      "migrate", "Apply the store's schema migrations and exit (serve applies them too; safe with several instances)");
  cmd->add_option("-c,--config", config_file, "YAML config file (its store); default: the embedded defaults");
  cmd->callback([] {
    set_exit_code(run_on_store(config_file, [](const config::config&, store::store& st) {
      std::cout << st.describe() << ": schema version " << st.schema_version() << "\n";
      return 0;
    }));
  });
}

}  // namespace passgate::app

// `passgate serve`: load and validate the config, build the gateway, listen, and
// run until SIGTERM/SIGINT.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/commands.hpp"
#include "app/gateway_setup.hpp"
#include "app/load_config.hpp"
#include "proxy/server.hpp"

namespace passgate::app {
namespace {

struct serve_options {
  std::string config_file;
  std::string listen;
  std::string ready_file;
};

void setup_logging(const config::config& cfg) {
  auto logger = spdlog::stderr_logger_mt("passgate");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(cfg.log.level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

// The bound port, for scripts and tests that listen on port 0. Written
// atomically so a reader never sees half a file.
void write_ready_file(const std::string& path, std::uint16_t port) {
  auto tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
  }
  std::filesystem::rename(tmp, path);
}

int serve(const serve_options& opt) {
  auto loaded = load_config_or_report(opt.config_file);
  if (!loaded) return 2;
  auto cfg = std::make_shared<config::config>(*loaded);
  if (!opt.listen.empty()) {
    try {
      config::parse_listen(opt.listen, cfg->server.listen_host, cfg->server.listen_port);
    } catch (const config::config_error& e) {
      std::cerr << "passgate: --listen: " << e.what() << "\n";
      return 2;
    }
  }
  setup_logging(*cfg);
  try {
    gateway_runtime rt(std::move(cfg));
    proxy::server srv(rt.gw);
    const auto& s = rt.gw.cfg->server;
    srv.bind(s.listen_host, s.listen_port);
    for (const auto& r : rt.gw.routes)
      spdlog::info("route /{}/ -> {} ({}, {})", r.cfg->name, r.cfg->upstream_text, r.provider,
                   r.aws                        ? "requests signed with the route's AWS credentials"
                   : r.cfg->server_key.empty() ? "server key: none"
                                                : "server key: set");
    spdlog::info("passgate {} listening on {}:{}", PASSGATE_VERSION_STRING, s.listen_host, srv.port());
    if (!opt.ready_file.empty()) write_ready_file(opt.ready_file, srv.port());
    srv.run();
    rt.shutdown();
    spdlog::info("stopped");
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

void add_serve(CLI::App& app) {
  static serve_options opt;
  auto* cmd = app.add_subcommand("serve", "Run the gateway (embedded defaults when no --config is given)");
  cmd->add_option("-c,--config", opt.config_file, "YAML config file");
  cmd->add_option("-l,--listen", opt.listen, "HOST:PORT to listen on (overrides server.listen; port 0 picks one)");
  cmd->add_option("--ready-file", opt.ready_file, "write the bound port to this file once listening");
  cmd->callback([] { set_exit_code(serve(opt)); });
}

}  // namespace passgate::app

#include "app/gateway_setup.hpp"

#include <spdlog/spdlog.h>

#include "admin/admin_api.hpp"
#include "auth/key_cache.hpp"
#include "auth/key_format.hpp"
#include "store/spend_writer.hpp"
#include "store/store.hpp"
#include "usage/prices.hpp"

#include <fstream>
#include <sstream>

namespace passgate::app {

struct gateway_runtime::parts {
  std::unique_ptr<store::store> store;
  std::unique_ptr<auth::key_cache> keys;
  std::unique_ptr<asio::thread_pool> blocking;  // admin handlers: database work off the I/O threads
  std::unique_ptr<store::spend_writer> spend;
  usage::price_table prices;
};

namespace {

// Config-listed keys (and the master key) as key records: hashed here, never stored.
std::vector<auth::key_record> static_key_records(const config::config& cfg) {
  std::vector<auth::key_record> out;
  if (!cfg.master_key.empty()) {
    auth::key_record r;
    r.key_id = "master";
    r.key_alias = "master";
    r.is_master = true;
    r.key_hash = auth::hash_key(cfg.master_key.reveal());
    r.key_prefix = auth::display_prefix(cfg.master_key.reveal());
    out.push_back(std::move(r));
  }
  for (std::size_t i = 0; i < cfg.keys.size(); ++i) {
    const auto& k = cfg.keys[i];
    auth::key_record r;
    r.key_alias = k.alias.empty() ? "config-" + std::to_string(i) : k.alias;
    r.key_id = "config:" + r.key_alias;
    r.key_hash = auth::hash_key(k.key.reveal());
    r.key_prefix = auth::display_prefix(k.key.reveal());
    r.allowed_credentials = k.allowed_credentials;
    r.allowed_routes = k.allowed_routes;
    out.push_back(std::move(r));
  }
  return out;
}

// The built-in prices, with the config's prices_file merged over them.
usage::price_table load_prices(const config::config& cfg) {
  auto prices = usage::price_table::load_default();
  if (cfg.prices_file) {
    std::ifstream in(*cfg.prices_file);
    std::stringstream text;
    text << in.rdbuf();
    try {
      prices.merge(usage::price_table::from_json(text.str()));
    } catch (const std::exception& e) {
      throw std::runtime_error(*cfg.prices_file + ": " + e.what());
    }
  }
  return prices;
}

}  // namespace

gateway_runtime::gateway_runtime(std::shared_ptr<const config::config> cfg) : parts_(std::make_unique<parts>()) {
  gw.cfg = cfg;
  gw.routes = proxy::make_routes(*cfg);
  parts_->store = store::open_sqlite(cfg->store.sqlite);
  parts_->keys = std::make_unique<auth::key_cache>(parts_->store.get(), static_key_records(*cfg));
  parts_->keys->start();
  gw.lookup = [keys = parts_->keys.get()](std::string_view key) { return keys->find(key); };
  parts_->prices = load_prices(*cfg);
  gw.prices = &parts_->prices;
  parts_->spend = std::make_unique<store::spend_writer>(*parts_->store);
  gw.on_record = [writer = parts_->spend.get()](usage::spend_record&& row) { writer->push(std::move(row)); };
  parts_->blocking = std::make_unique<asio::thread_pool>(1);
  gw.blocking = parts_->blocking.get();
  gw.metrics_text = [this] { return metrics_text(); };
  gw.admin = admin::endpoints(std::make_shared<admin::admin_api>(*parts_->store, *parts_->keys, cfg));
}

gateway_runtime::~gateway_runtime() { shutdown(); }

std::string gateway_runtime::metrics_text() const {
  const auto* spend = parts_->spend.get();
  return metrics::to_prometheus(
      gw.stats,
      {{"passgate_open_connections", "Client connections open now.", "gauge",
        [this] { return double(gw.active_connections.load()); }},
       {"passgate_spend_queue_rows", "Spend rows waiting for the writer.", "gauge",
        [spend] { return double(spend->queued()); }},
       {"passgate_spend_rows_written_total", "Spend rows written to the store.", "counter",
        [spend] { return double(spend->written()); }},
       {"passgate_spend_rows_dropped_total", "Spend rows lost: queue full or store error.", "counter",
        [spend] { return double(spend->dropped() + spend->failed()); }}});
}

void gateway_runtime::shutdown() {
  if (parts_->blocking) parts_->blocking->join();
  if (parts_->spend) {
    parts_->spend->stop();  // writes every queued row
    if (auto lost = parts_->spend->dropped() + parts_->spend->failed())
      spdlog::warn("{} spend row(s) could not be written", lost);
  }
  if (parts_->keys) parts_->keys->stop();
}

}  // namespace passgate::app

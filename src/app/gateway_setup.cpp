#include "app/gateway_setup.hpp"

#include <spdlog/spdlog.h>

#include "admin/admin_api.hpp"
#include "app/open_store.hpp"
#include "auth/key_cache.hpp"
#include "auth/key_format.hpp"
#include "common/redact_url.hpp"
#include "limits/budget_period.hpp"
#include "limits/limiter.hpp"
#include "limits/redis_limiter.hpp"
#include "store/spend_writer.hpp"
#include "store/store.hpp"
#include "ui/ui_handler.hpp"
#include "usage/prices.hpp"

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>

namespace passgate::app {

struct gateway_runtime::parts {
  std::unique_ptr<store::store> store;  // key cache and admin handlers: short busy wait, fail fast
  std::unique_ptr<auth::key_cache> keys;
  std::atomic<auth::key_cache*> keys_ready{nullptr};  // `keys` once started, for other threads
  // Pushes key changes made anywhere (PostgreSQL's LISTEN/NOTIFY) to the cache;
  // null for SQLite, whose cache polls. Declared after `keys`: it goes first.
  std::unique_ptr<store::store::watcher> key_watcher;
  std::unique_ptr<asio::thread_pool> blocking;  // admin handlers: database work off the I/O threads
  std::shared_ptr<admin::admin_api> admin;
  // The spend writer's own connection: its waits and retries never hold the
  // admin calls' connection.
  std::unique_ptr<store::store> spend_store;
  std::unique_ptr<store::spend_writer> spend;
  usage::price_table prices;
  std::unique_ptr<limits::limiter> limiter;
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
    r.max_budget = k.max_budget;
    r.budget_duration = k.budget_duration;
    r.budget_credentials = k.budget_credentials;
    r.rpm_limit = k.rpm_limit;
    r.tpm_limit = k.tpm_limit;
    r.max_parallel_requests = k.max_parallel_requests;
    out.push_back(std::move(r));
  }
  return out;
}

store::spend_writer_options spend_options(const config::store_config& c) {
  store::spend_writer_options o;
  o.max_queue_bytes = std::size_t(c.spend_queue_bytes);
  o.drain_timeout = std::chrono::milliseconds(std::int64_t(c.drain_timeout_s * 1000));
  o.spool_dir = config::effective_spool_dir(c);
  o.spool_max_bytes = c.spool_max_bytes;
  return o;
}

// Shared counters in Redis when the config names one, else this process's own.
std::unique_ptr<limits::limiter> make_limiter(const config::config& cfg, std::function<void()> on_reconnect) {
  if (cfg.redis.url.empty()) return limits::make_local_limiter();
  limits::redis_options o;
  o.on_reconnect = std::move(on_reconnect);
  o.url = cfg.redis.url.reveal();
  o.timeout = std::chrono::milliseconds(std::int64_t(cfg.redis.timeout_s * 1000));
  o.on_shared_error = cfg.limits.on_shared_error == config::limits_config::shared_error_mode::deny
                          ? limits::redis_options::on_error::deny
                          : limits::redis_options::on_error::local;
  return limits::make_redis_limiter(std::move(o));
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
  parts_->store = open_store(cfg->store);
  // The writer first: seeding budgets (below, and on the key cache's thread)
  // flushes it.
  parts_->spend_store = open_store(cfg->store, store_user::spend_writer);
  parts_->spend = std::make_unique<store::spend_writer>(*parts_->spend_store, spend_options(cfg->store));
  // Redis back after an outage: budgets are read from the store again at once
  // (a forced reload publishes, and publishing seeds what needs it).
  parts_->limiter = make_limiter(*cfg, [this] {
    if (auto* keys = parts_->keys_ready.load(std::memory_order_acquire)) keys->invalidate();
  });
  spdlog::info("store: {}; limits: {}", parts_->store->describe(),
               cfg->redis.url.empty() ? std::string("counted in this process")
                                      : "shared through " + redact_url(cfg->redis.url.reveal()));
  gw.limiter = parts_->limiter.get();
  auth::key_cache_options cache_opts;
  cache_opts.refresh_interval = std::chrono::milliseconds(std::int64_t(cfg->store.key_reload_s * 1000));
  // Budgets count from the store's rows for the current period, read off the
  // request path: at start-up (before listening) and whenever a key gains a
  // budget or a new duration. An index range scan of that key's rows.
  cache_opts.on_publish = [this](const std::vector<std::shared_ptr<const auth::key_record>>& keys) {
    seed_budgets(keys);
  };
  parts_->keys = std::make_unique<auth::key_cache>(parts_->store.get(), static_key_records(*cfg), cache_opts);
  parts_->keys->start();
  parts_->keys_ready.store(parts_->keys.get(), std::memory_order_release);
  parts_->key_watcher = parts_->store->watch_key_changes([keys = parts_->keys.get()] { keys->invalidate(); });
  gw.lookup = [keys = parts_->keys.get()](std::string_view key) { return keys->find(key); };
  parts_->prices = load_prices(*cfg);
  gw.prices = &parts_->prices;
  gw.on_record = [writer = parts_->spend.get()](usage::spend_record&& row) { writer->push(std::move(row)); };
  parts_->blocking = std::make_unique<asio::thread_pool>(1);
  gw.blocking = parts_->blocking.get();
  gw.metrics_text = [this] { return metrics_text(); };
  parts_->admin = std::make_shared<admin::admin_api>(*parts_->store, *parts_->keys, cfg);
  gw.admin = admin::endpoints(parts_->admin);
  gw.admin.push_back(ui::console_endpoint());  // the web console, /ui/
}

gateway_runtime::~gateway_runtime() { shutdown(); }

void gateway_runtime::seed_budgets(const std::vector<std::shared_ptr<const auth::key_record>>& keys) {
  auto now = proxy::unix_ms();
  bool flushed = false;
  for (const auto& k : keys) {
    if (!parts_->limiter->needs_seed(*k, now)) continue;  // also forgets the seed of a key that lost its budget
    // Rows still queued are not in the store yet: write them first (bounded).
    if (!flushed && parts_->spend) {
      if (!parts_->spend->flush(std::chrono::seconds(2)))
        spdlog::warn("budgets: spend rows still queued after 2 s; this period's spend may be counted short");
      flushed = true;
    }
    auto window = limits::window_at(k->budget_duration, now);
    try {
      double spent = parts_->store->key_spend_usd(k->key_id, window.start_ms, k->budget_credentials);
      parts_->limiter->seed_budget(*k, window.start_ms, spent);
    } catch (const std::exception& e) {
      // Counted from zero until a later reload reads it: logged, never fatal.
      spdlog::warn("budget of key {}: this period's spend could not be read from the store: {}", k->key_id, e.what());
    }
  }
}

std::string gateway_runtime::metrics_text() const {
  const auto* spend = parts_->spend.get();
  return metrics::to_prometheus(
      gw.stats,
      {{"passgate_open_connections", "Client connections open now.", "gauge",
        [this] { return double(gw.active_connections.load()); }},
       {"passgate_spend_queue_rows", "Spend rows waiting for the store (including the batch being written).",
        "gauge", [spend] { return double(spend->queued_rows()); }},
       {"passgate_spend_queue_bytes", "Approximate bytes of the spend rows waiting (bounded by store.spend_queue_bytes).",
        "gauge", [spend] { return double(spend->queued_bytes()); }},
       {"passgate_spend_rows_written_total", "Spend rows written to the store.", "counter",
        [spend] { return double(spend->written()); }},
       {"passgate_spend_rows_dropped_total", "Spend rows lost: the queue was full, or the store still failed at stop.",
        "counter", [spend] { return double(spend->dropped()); }},
       {"passgate_spend_write_retries_total", "Spend batches written again after a failed attempt.", "counter",
        [spend] { return double(spend->retries()); }},
       {"passgate_spend_spool_rows", "Spend rows in the local spool (store.spool_dir), waiting for the store.", "gauge",
        [spend] { return double(spend->spool_rows()); }},
       {"passgate_spend_spool_bytes", "Bytes of the spool's files (bounded by store.spool_max_bytes).", "gauge",
        [spend] { return double(spend->spool_bytes()); }},
       {"passgate_spend_rows_spooled_total", "Spend rows moved to the spool while the store failed.", "counter",
        [spend] { return double(spend->spooled()); }},
       {"passgate_spend_rows_rejected_total",
        "Spend rows the store refused for what they hold, set aside in the spool's rejected-*.jsonl files.", "counter",
        [spend] { return double(spend->rejected()); }},
       {"passgate_shared_limit_errors_total", "Round trips to the shared limits store (Redis) that failed or timed out.",
        "counter", [this] { return parts_->limiter ? double(parts_->limiter->shared_errors()) : 0.0; }},
       {"passgate_shared_limits_degraded",
        "1 while the shared limits store is unreachable (limits counted locally or refused, per limits.on_shared_error).",
        "gauge", [this] { return parts_->limiter && parts_->limiter->shared_degraded() ? 1.0 : 0.0; }},
       {"passgate_store_errors_total",
        "Failed store operations: spend writes, key cache reloads and admin calls (locked, read-only, full, gone...).",
        "counter", [this, spend] {
          return double(spend->write_errors() + parts_->keys->reload_failures() + parts_->admin->store_failures());
        }}});
}

void gateway_runtime::shutdown() {
  if (parts_->blocking) parts_->blocking->join();
  // The limiter's thread may still answer an admission; it must stop while the
  // server's executors it posts to are alive (serve() calls this before they go).
  gw.limiter = nullptr;
  parts_->limiter.reset();
  if (parts_->spend) {
    parts_->spend->stop();  // writes every queued row, retrying a failing store for store.drain_timeout_s
    if (auto lost = parts_->spend->dropped())
      spdlog::warn("{} spend row(s) could not be written since start ({} for a full queue, {} at stop)", lost,
                   parts_->spend->overflowed(), parts_->spend->lost());
  }
  parts_->keys_ready.store(nullptr, std::memory_order_release);
  parts_->key_watcher.reset();
  if (parts_->keys) parts_->keys->stop();
}

}  // namespace passgate::app

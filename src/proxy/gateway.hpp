#pragma once
// What every I/O thread shares (read-only after start-up) and what each owns.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "common/watchdog.hpp"
#include "config/config.hpp"
#include "limits/limiter.hpp"
#include "metrics/metrics.hpp"
#include "policy/aws_signing.hpp"
#include "policy/credential_rule.hpp"
#include "upstream/connector.hpp"
#include "upstream/pool.hpp"
#include "usage/prices.hpp"
#include "usage/spend_record.hpp"
#include "usage/usage_dialect.hpp"

namespace passgate::proxy {

struct route_runtime {
  std::size_t index = 0;  // into gateway::routes and the pools
  const config::route_config* cfg = nullptr;
  std::string prefix;     // "/anthropic"
  std::string host_header;
  std::unique_ptr<asio::ssl::context> tls;
  upstream::endpoint_spec endpoint;
  policy::route_policy policy;
  // The provider's ways, from its rule (policy/provider.hpp).
  std::string_view provider;                    // "openai": the rows' provider
  std::string server_credential;                // the server key as its header's value ("Bearer …" where due)
  std::string_view query_key_param;             // Gemini's "key": moved from the URL to the credential header
  const usage::usage_dialect* usage = nullptr;  // where answers carry usage; null: the tap does not read them
  error_dialect errors = error_dialect::anthropic;
  std::optional<policy::aws_route_signing> aws;  // Bedrock: every request is signed
  std::string_view cost_header;                 // generic: the answer's cost in USD, when the upstream sends it
  std::vector<std::string> other_credential_headers;  // other routes' own credential headers (policy's view)
};

// A request the gateway itself answers under its own listener (admin API).
struct local_request {
  std::string_view method;
  std::string_view target;
  std::string_view authorization;   // Authorization header value
  std::string_view passgate_key;    // x-passgate-key header value
  std::string_view litellm_key;     // x-litellm-api-key header value
  std::string_view if_none_match;   // If-None-Match header value (the console's assets)
  std::string body;
};
struct local_response {
  int status = 200;
  std::string body;  // JSON
  std::string content_type = "application/json";
  std::string headers;  // extra whole header lines ("name: value\r\n"), e.g. etag, cache-control
};
// Runs off the I/O thread (the caller posts it to a worker pool) and may block.
using local_handler = std::function<local_response(const local_request&)>;

// Where finished requests go (usage recorder, spend writer). Must not block.
using record_sink = std::function<void(usage::spend_record&&)>;

struct gateway {
  config::config_ptr cfg;
  std::vector<route_runtime> routes;
  policy::key_lookup lookup;
  // Admin endpoints by path prefix ("/key/", "/spend/"); empty: none.
  std::vector<std::pair<std::string, local_handler>> admin;
  record_sink on_record;
  const usage::price_table* prices = nullptr;  // null: rows carry tokens, no cost
  metrics::gateway_metrics stats;
  std::function<std::string()> metrics_text;  // GET /metrics; empty: 404
  asio::thread_pool* blocking = nullptr;      // runs admin handlers (database work)
  limits::limiter* limiter = nullptr;         // budgets and rate limits; null: none enforced
  std::atomic<bool> draining{false};
  std::atomic<std::int64_t> active_connections{0};
  std::atomic<std::uint64_t> released_bytes{0};  // large per-connection buffers given back (see server::trim_loop)
};

// One per I/O thread.
struct worker {
  worker(gateway& g, clock::duration tick)
      : gw(g),
        ioc(1),
        dog(ioc, tick),
        pool(g.routes.size(), g.cfg->limits.pool_max_idle_per_host, seconds(g.cfg->limits.pool_idle_s)) {}
  gateway& gw;
  asio::io_context ioc;
  watchdog dog;
  upstream::pool pool;
  // Rows written this second for requests refused before a key was known.
  std::int64_t keyless_rows_second = 0;
  std::int64_t keyless_rows = 0;
};

// Unix milliseconds (budgets, rate windows, rows).
inline std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Builds the route runtime (TLS contexts, policies) from the config.
std::vector<route_runtime> make_routes(const config::config& cfg);

}  // namespace passgate::proxy

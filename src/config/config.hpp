#pragma once
// The validated configuration: YAML parsed into plain structs, checked completely
// before the gateway listens, then shared read-only.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/secret.hpp"
#include "policy/credential_label.hpp"
#include "policy/credential_rule.hpp"
#include "policy/provider.hpp"

namespace passgate::config {

struct server_config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 4000;
  unsigned threads = 0;  // 0: one per core
};

struct limits_config {
  std::size_t max_header_bytes = 65536;
  std::size_t max_header_count = 256;
  std::uint64_t max_body_bytes = 32ull << 20;
  double idle_timeout_s = 60;                // client silent (between or inside requests)
  double header_timeout_s = 10;              // a whole request head, from its first byte (slowloris);
                                             // likewise a response head once its first byte came
  double upstream_connect_timeout_s = 10;    // TCP + TLS handshake
  double upstream_idle_timeout_s = 600;      // upstream silent while we wait for bytes
  double shutdown_grace_s = 30;              // SIGTERM: in-flight requests get this long
  std::size_t pool_max_idle_per_host = 64;   // idle upstream connections kept, per thread
  double pool_idle_s = 30;                   // drop pooled connections idle longer than this
  // With redis: set and Redis unreachable: count limits in this process (local)
  // or refuse requests of keys with limits, 503 (deny).
  enum class shared_error_mode { local, deny } on_shared_error = shared_error_mode::local;
};

struct upstream_url {
  bool tls = true;
  std::string host;
  std::uint16_t port = 443;
  std::string base_path;  // no trailing slash; "" for the root
  std::string host_header() const;  // "host" or "host:port" when not the default port
};

// AWS credentials a Bedrock route signs its requests with (Signature V4).
struct aws_credentials {
  secret access_key_id;
  secret secret_access_key;
  secret session_token;  // empty: long-term credentials
  std::string region;    // "us-east-1"
};

struct route_config {
  std::string name;    // mounted at "/{name}/"
  policy::provider_kind provider = policy::provider_kind::anthropic;
  std::string upstream_text;
  upstream_url upstream;
  secret server_key;
  aws_credentials aws;  // bedrock
  // generic: the header the credential travels in, whether as "Bearer <key>",
  // and the response header an upstream may report the answer's cost in (USD).
  std::string credential_header;
  bool credential_bearer = true;
  std::string cost_header;
  std::optional<std::string> ca_file;
  policy::client_credentials_mode client_credentials = policy::client_credentials_mode::forward;
  std::vector<std::string> oauth_hosts{"api.anthropic.com"};
  bool oauth_host_allowed = true;  // derived: upstream.host is in oauth_hosts
};

struct static_key {
  std::string alias;
  secret key;
  policy::label_set allowed_credentials = policy::label_set::all();
  std::vector<std::string> allowed_routes;
  // Governance, as on stored keys (docs/admin.md).
  std::optional<double> max_budget;  // USD
  std::string budget_duration;       // empty: the key's lifetime
  policy::label_set budget_credentials = policy::label_set::all();
  std::optional<std::int64_t> rpm_limit;
  std::optional<std::int64_t> tpm_limit;
  std::optional<std::int64_t> max_parallel_requests;
};

struct auth_config {
  bool require_key = false;
};

struct store_config {
  std::string sqlite = "passgate.db";
  // Set: keys and spend live in PostgreSQL (a fleet shares it) and `sqlite` is
  // not used. A libpq URI or keyword string; it may carry a password.
  secret postgres;
  // Spend rows that do not fit the queue while the store fails go to files here,
  // up to spool_max_bytes, and are written in order when it works again. Empty:
  // "<sqlite file>-spool" beside a SQLite store, "passgate-spool" in the working
  // directory for PostgreSQL; none for ":memory:". One directory per instance.
  std::string spool_dir;
  std::uint64_t spool_max_bytes = 1ull << 30;
  // How often the key cache asks the store whether any key changed. With
  // PostgreSQL, changes are pushed at once (LISTEN/NOTIFY) and this is the
  // safety net; with SQLite it is how other processes' changes arrive.
  double key_reload_s = 1;
  // Spend rows waiting for the store (while it is locked, full or gone), bounded
  // by their approximate size; rows beyond it are dropped and counted.
  std::uint64_t spend_queue_bytes = 64ull << 20;
  double drain_timeout_s = 10;  // at stop: how long to keep retrying a failing store
};

// Shared counters for the limits of a fleet. Unset: each instance counts alone.
struct redis_config {
  secret url;  // redis://[:password@]host:port[/db]; may carry a password
  double timeout_s = 0.25;  // a round trip slower than this counts as Redis down
};

// The spool directory store_config describes (empty: none).
std::string effective_spool_dir(const store_config& s);

struct usage_config {
  bool tap = true;  // read tokens from answers; off: rows carry no tokens or cost
};

struct log_config {
  bool access = true;
  std::string level = "info";
};

struct config {
  std::string source;  // the file it came from, or "<defaults>"
  server_config server;
  limits_config limits;
  std::map<std::string, route_config> routes;
  secret master_key;
  auth_config auth;
  std::vector<static_key> keys;
  store_config store;
  redis_config redis;
  log_config log;
  usage_config usage;
  std::optional<std::string> prices_file;  // JSON merged over the built-in prices
};

using config_ptr = std::shared_ptr<const config>;

// Thrown for any invalid configuration; what() names the file, line and key.
struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Environment lookup, replaceable in tests.
using env_lookup = std::optional<std::string> (*)(const char* name);
std::optional<std::string> process_env(const char* name);

// The embedded defaults (no file): /anthropic → https://api.anthropic.com, server
// key from ANTHROPIC_API_KEY when set; /openai → https://api.openai.com
// (OPENAI_API_KEY); /gemini → https://generativelanguage.googleapis.com
// (GEMINI_API_KEY). A Bedrock route needs a config file.
config defaults(env_lookup env = process_env);
config load_file(const std::string& path, env_lookup env = process_env);
config load_text(const std::string& yaml, const std::string& source_name, env_lookup env = process_env);

// The effective config as YAML, secrets masked (for `passgate check-config`).
std::string describe(const config& c);

// "127.0.0.1:4000", "[::1]:0", ":4000" → host and port; throws config_error.
void parse_listen(const std::string& text, std::string& host, std::uint16_t& port);

}  // namespace passgate::config

#include "config/config.hpp"
#include "limits/budget_period.hpp"
#include "common/redact_url.hpp"
#include "common/headers.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace passgate::config {
namespace {

// Reads one YAML document into the structs, naming file, line and key on error.
class reader {
 public:
  reader(std::string source, env_lookup env) : source_(std::move(source)), env_(env) {}

  [[noreturn]] void fail(const YAML::Node& n, const std::string& key, const std::string& what) const {
    std::ostringstream os;
    os << source_;
    if (n.IsDefined() && n.Mark().line >= 0) os << ":" << n.Mark().line + 1;
    os << ": '" << key << "': " << what;
    throw config_error(os.str());
  }

  void expect_map(const YAML::Node& n, const std::string& key,
                  std::initializer_list<const char*> allowed) const {
    if (!n.IsMap()) fail(n, key, "expected a mapping");
    std::set<std::string> ok(allowed.begin(), allowed.end());
    for (const auto& kv : n) {
      auto name = kv.first.as<std::string>();
      if (!ok.count(name)) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        fail(kv.first, key.empty() ? name : key + "." + name, "unknown key (expected one of: " + list + ")");
      }
    }
  }

  std::string str(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, key, "expected a string");
    return n.Scalar();
  }

  bool boolean(const YAML::Node& n, const std::string& key) const {
    bool v;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) fail(n, key, "expected true or false");
    return v;
  }

  double number(const YAML::Node& n, const std::string& key, double min, double max) const {
    double v;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !std::isfinite(v))
      fail(n, key, "expected a number");
    if (v < min || v > max)
      fail(n, key, "must be between " + fmt(min) + " and " + fmt(max));
    return v;
  }

  std::uint64_t whole(const YAML::Node& n, const std::string& key, std::uint64_t min, std::uint64_t max) const {
    std::uint64_t v;
    if (!n.IsScalar() || n.Scalar().starts_with("-") || !YAML::convert<std::uint64_t>::decode(n, v))
      fail(n, key, "expected a whole number");
    if (v < min || v > max)
      fail(n, key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return v;
  }

  std::vector<std::string> strings(const YAML::Node& n, const std::string& key) const {
    if (!n.IsSequence()) fail(n, key, "expected a list");
    std::vector<std::string> out;
    for (const auto& e : n) out.push_back(str(e, key + "[]"));
    return out;
  }

  policy::label_set labels(const YAML::Node& n, const std::string& key) const {
    policy::label_set s;
    for (const auto& e : n.IsSequence() ? n : YAML::Node(YAML::NodeType::Sequence)) {
      auto text = str(e, key + "[]");
      auto l = policy::label_from_string(text);
      if (!l) fail(e, key, "unknown credential kind '" + text + "' (expected oauth, byok, bearer, server or none)");
      s.add(*l);
    }
    if (!n.IsSequence()) fail(n, key, "expected a list");
    if (s.empty()) fail(n, key, "must name at least one credential kind");
    return s;
  }

  // A secret: literal text, or os.environ/NAME. `required`: an unset variable is an error.
  secret secret_value(const YAML::Node& n, const std::string& key, bool required) const {
    if (n.IsNull()) return {};
    auto text = str(n, key);
    constexpr std::string_view env_prefix = "os.environ/";
    if (!text.starts_with(env_prefix)) return secret(text);
    auto name = text.substr(env_prefix.size());
    auto v = env_(name.c_str());
    if (!v || v->empty()) {
      if (required) fail(n, key, "environment variable " + name + " is not set");
      return {};
    }
    return secret(*v);
  }

  const std::string& source() const { return source_; }
  env_lookup env() const { return env_; }

 private:
  static std::string fmt(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
  }
  std::string source_;
  env_lookup env_;
};

upstream_url parse_upstream(const reader& r, const YAML::Node& n, const std::string& key) {
  auto text = r.str(n, key);
  upstream_url u;
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    u.tls = true;
    u.port = 443;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    u.tls = false;
    u.port = 80;
    rest.remove_prefix(7);
  } else {
    r.fail(n, key, "expected an http:// or https:// URL");
  }
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  auto path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.empty() || authority.front() == ':' || authority.find('@') != std::string_view::npos)
    r.fail(n, key, "expected a host (no user info)");
  if (rest.find_first_of("?#") != std::string_view::npos) r.fail(n, key, "may not have a query or fragment");
  std::string_view host = authority;
  if (authority.front() == '[') {  // [v6]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos) r.fail(n, key, "bad IPv6 host");
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') r.fail(n, key, "bad port");
      authority = after;
    } else {
      authority = {};
    }
  }
  if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    if (authority.front() != ':') host = authority.substr(0, colon);
    auto port_text = authority.substr(colon + 1);
    unsigned port = 0;
    if (port_text.empty() || port_text.size() > 5) r.fail(n, key, "bad port");
    for (char c : port_text) {
      if (c < '0' || c > '9') r.fail(n, key, "bad port");
      port = port * 10 + unsigned(c - '0');
    }
    if (port == 0 || port > 65535) r.fail(n, key, "bad port");
    u.port = static_cast<std::uint16_t>(port);
  }
  // The host and path go into every upstream request's Host header and request
  // line: nothing that could end a line or split a token.
  auto clean = [](std::string_view t) {
    for (unsigned char c : t)
      if (c <= 0x20 || c == 0x7f) return false;
    return true;
  };
  if (host.empty() || !clean(host)) r.fail(n, key, "expected a host name or address (no spaces or control characters)");
  if (!clean(path)) r.fail(n, key, "the path may not contain spaces or control characters (percent-encode them)");
  u.host = std::string(host);
  while (path.ends_with('/')) path.remove_suffix(1);
  u.base_path = std::string(path);
  return u;
}

void finish_route(route_config& route) {
  // A Claude subscription token goes to Anthropic routes only (and there only
  // to their oauth_hosts): elsewhere it is refused.
  if (route.provider != policy::provider_kind::anthropic) route.oauth_hosts.clear();
  route.oauth_host_allowed = false;
  for (const auto& h : route.oauth_hosts)
    if (h == route.upstream.host) route.oauth_host_allowed = true;
}

// "{region}" in a provider's default upstream is the route's AWS region.
std::string default_upstream_text(const route_config& route) {
  std::string text(policy::rule_of(route.provider).default_upstream);
  if (auto at = text.find("{region}"); at != std::string::npos) text.replace(at, 8, route.aws.region);
  return text;
}

// An AWS region as AWS names them ("us-east-1", "eu-central-2"): it goes into
// a host name and into every signature.
bool is_aws_region(std::string_view r) {
  return !r.empty() && r.size() <= 32 && r.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos &&
         r.front() != '-' && r.back() != '-';
}

// An HTTP header name (RFC 9110 token), lower-cased.
std::string header_name(const reader& r, const YAML::Node& n, const std::string& key) {
  auto text = r.str(n, key);
  if (text.empty() || text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&'*+.^`|~") != std::string::npos)
    r.fail(n, key, "expected a header name");
  for (auto& c : text) c = hdr::lower(c);
  return text;
}

route_config parse_route(const reader& r, const std::string& name, const YAML::Node& n) {
  const std::string key = "routes." + name;
  if (!n.IsMap()) r.fail(n, key, "expected a mapping");
  route_config route;
  route.name = name;
  if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos)
    r.fail(n, key, "route names use a-z, 0-9, '-' and '_'");
  if (n["provider"]) {
    auto text = r.str(n["provider"], key + ".provider");
    auto p = policy::provider_from_string(text);
    if (!p) r.fail(n["provider"], key + ".provider", "unknown provider '" + text + "' (expected anthropic, openai, gemini, bedrock or generic)");
    route.provider = *p;
  }
  using policy::provider_kind;
  const auto kind = route.provider;
  switch (kind) {
    case provider_kind::anthropic:
      r.expect_map(n, key, {"provider", "upstream", "server_key", "ca_file", "client_credentials", "oauth_hosts"});
      break;
    case provider_kind::openai:
    case provider_kind::gemini:
      r.expect_map(n, key, {"provider", "upstream", "server_key", "ca_file", "client_credentials"});
      break;
    case provider_kind::bedrock:
      r.expect_map(n, key, {"provider", "upstream", "ca_file", "region", "aws_access_key_id", "aws_secret_access_key",
                            "aws_session_token"});
      break;
    case provider_kind::generic:
      r.expect_map(n, key, {"provider", "upstream", "server_key", "ca_file", "client_credentials", "credential_header",
                            "credential_format", "cost_header"});
      break;
  }
  if (kind == provider_kind::bedrock) {
    if (!n["region"]) r.fail(n, key + ".region", "is required for a bedrock route (e.g. us-east-1)");
    route.aws.region = r.str(n["region"], key + ".region");
    if (!is_aws_region(route.aws.region)) r.fail(n["region"], key + ".region", "expected an AWS region such as us-east-1");
    for (auto [field, target] : {std::pair{"aws_access_key_id", &route.aws.access_key_id},
                                 std::pair{"aws_secret_access_key", &route.aws.secret_access_key}}) {
      if (!n[field]) r.fail(n, key + "." + field, "is required for a bedrock route (e.g. os.environ/AWS_ACCESS_KEY_ID)");
      *target = r.secret_value(n[field], key + "." + field, true);
      if (target->empty()) r.fail(n[field], key + "." + field, "is empty");
    }
    if (n["aws_session_token"]) route.aws.session_token = r.secret_value(n["aws_session_token"], key + ".aws_session_token", false);
    // No client credential goes to AWS: the gateway signs every request.
    route.client_credentials = policy::client_credentials_mode::server_only;
  }
  if (n["upstream"]) {
    route.upstream_text = r.str(n["upstream"], key + ".upstream");
    route.upstream = parse_upstream(r, n["upstream"], key + ".upstream");
  } else if (kind == provider_kind::anthropic || kind == provider_kind::generic) {
    r.fail(n, key + ".upstream", "is required");
  } else {
    route.upstream_text = default_upstream_text(route);
    YAML::Node text(route.upstream_text);
    route.upstream = parse_upstream(r, text, key + ".upstream");
  }
  if (n["server_key"]) route.server_key = r.secret_value(n["server_key"], key + ".server_key", false);
  if (n["ca_file"] && !n["ca_file"].IsNull()) {
    route.ca_file = r.str(n["ca_file"], key + ".ca_file");
    if (!std::ifstream(*route.ca_file)) r.fail(n["ca_file"], key + ".ca_file", "cannot read " + *route.ca_file);
  }
  if (n["client_credentials"]) {
    auto mode = r.str(n["client_credentials"], key + ".client_credentials");
    if (mode == "forward") route.client_credentials = policy::client_credentials_mode::forward;
    else if (mode == "server_only") route.client_credentials = policy::client_credentials_mode::server_only;
    else r.fail(n["client_credentials"], key + ".client_credentials", "expected forward or server_only");
  }
  if (kind == provider_kind::generic) {
    route.credential_header = n["credential_header"] ? header_name(r, n["credential_header"], key + ".credential_header")
                                                     : std::string(hdr::authorization);
    const auto& h = route.credential_header;
    if (hdr::is_gateway_key(h) || hdr::iequals(h, hdr::host) || hdr::is_hop_by_hop(h) ||
        hdr::iequals(h, hdr::content_length) || hdr::iequals(h, hdr::expect) || hdr::istarts_with(h, hdr::x_pass_prefix))
      r.fail(n["credential_header"], key + ".credential_header",
             "may not be a gateway key, x-pass-*, framing or hop-by-hop header");
    if (n["credential_format"]) {
      auto f = r.str(n["credential_format"], key + ".credential_format");
      if (f == "bearer") route.credential_bearer = true;
      else if (f == "raw") route.credential_bearer = false;
      else r.fail(n["credential_format"], key + ".credential_format", "expected bearer or raw");
    }
    route.cost_header = n["cost_header"] ? header_name(r, n["cost_header"], key + ".cost_header") : "x-passgate-cost-usd";
  }
  if (n["oauth_hosts"]) route.oauth_hosts = r.strings(n["oauth_hosts"], key + ".oauth_hosts");
  for (auto [field, s] : {std::pair{"server_key", &route.server_key}, std::pair{"aws_access_key_id", &route.aws.access_key_id},
                          std::pair{"aws_secret_access_key", &route.aws.secret_access_key},
                          std::pair{"aws_session_token", &route.aws.session_token}})
    if (!s->fits_a_header()) r.fail(n[field], key + "." + field, "contains a control character (a stray newline?)");
  finish_route(route);
  return route;
}

void parse_document(const reader& r, const YAML::Node& root, config& c) {
  if (root.IsNull()) return;
  r.expect_map(root, "", {"server", "limits", "routes", "master_key", "auth", "keys", "store", "redis", "log", "usage", "prices_file"});
  if (auto s = root["server"]) {
    r.expect_map(s, "server", {"listen", "threads"});
    if (s["listen"]) {
      try {
        parse_listen(r.str(s["listen"], "server.listen"), c.server.listen_host, c.server.listen_port);
      } catch (const config_error& e) {
        r.fail(s["listen"], "server.listen", e.what());
      }
    }
    if (s["threads"]) c.server.threads = static_cast<unsigned>(r.whole(s["threads"], "server.threads", 0, 256));
  }
  if (auto l = root["limits"]) {
    r.expect_map(l, "limits", {"max_header_bytes", "max_header_count", "max_body_bytes", "idle_timeout_s",
                               "header_timeout_s", "upstream_connect_timeout_s", "upstream_idle_timeout_s", "shutdown_grace_s",
                               "pool_max_idle_per_host", "pool_idle_s", "on_shared_error"});
    auto& L = c.limits;
    if (l["max_header_bytes"]) L.max_header_bytes = r.whole(l["max_header_bytes"], "limits.max_header_bytes", 1024, 1 << 24);
    if (l["max_header_count"]) L.max_header_count = r.whole(l["max_header_count"], "limits.max_header_count", 8, 10000);
    if (l["max_body_bytes"]) L.max_body_bytes = r.whole(l["max_body_bytes"], "limits.max_body_bytes", 0, 1ull << 40);
    if (l["idle_timeout_s"]) L.idle_timeout_s = r.number(l["idle_timeout_s"], "limits.idle_timeout_s", 0.05, 86400);
    if (l["header_timeout_s"]) L.header_timeout_s = r.number(l["header_timeout_s"], "limits.header_timeout_s", 0.05, 3600);
    if (l["upstream_connect_timeout_s"]) L.upstream_connect_timeout_s = r.number(l["upstream_connect_timeout_s"], "limits.upstream_connect_timeout_s", 0.05, 3600);
    if (l["upstream_idle_timeout_s"]) L.upstream_idle_timeout_s = r.number(l["upstream_idle_timeout_s"], "limits.upstream_idle_timeout_s", 0.05, 86400);
    if (l["shutdown_grace_s"]) L.shutdown_grace_s = r.number(l["shutdown_grace_s"], "limits.shutdown_grace_s", 0, 3600);
    if (l["pool_max_idle_per_host"]) L.pool_max_idle_per_host = r.whole(l["pool_max_idle_per_host"], "limits.pool_max_idle_per_host", 0, 100000);
    if (l["pool_idle_s"]) L.pool_idle_s = r.number(l["pool_idle_s"], "limits.pool_idle_s", 0.05, 3600);
    if (l["on_shared_error"]) {
      auto mode = r.str(l["on_shared_error"], "limits.on_shared_error");
      if (mode == "local") L.on_shared_error = limits_config::shared_error_mode::local;
      else if (mode == "deny") L.on_shared_error = limits_config::shared_error_mode::deny;
      else r.fail(l["on_shared_error"], "limits.on_shared_error", "expected local or deny");
    }
  }
  if (auto rs = root["routes"]) {
    if (!rs.IsMap()) r.fail(rs, "routes", "expected a mapping of route name to route");
    c.routes.clear();
    for (const auto& kv : rs) {
      auto name = kv.first.as<std::string>();
      c.routes[name] = parse_route(r, name, kv.second);
    }
  }
  if (root["master_key"]) c.master_key = r.secret_value(root["master_key"], "master_key", true);
  if (auto a = root["auth"]) {
    r.expect_map(a, "auth", {"require_key"});
    if (a["require_key"]) c.auth.require_key = r.boolean(a["require_key"], "auth.require_key");
  }
  if (auto ks = root["keys"]) {
    if (!ks.IsSequence()) r.fail(ks, "keys", "expected a list");
    std::size_t i = 0;
    for (const auto& k : ks) {
      auto key = "keys[" + std::to_string(i++) + "]";
      r.expect_map(k, key, {"alias", "key", "allowed_credentials", "allowed_routes", "max_budget", "budget_duration",
                            "budget_credentials", "rpm_limit", "tpm_limit", "max_parallel_requests"});
      static_key sk;
      if (k["alias"]) sk.alias = r.str(k["alias"], key + ".alias");
      if (!k["key"]) r.fail(k, key + ".key", "is required");
      sk.key = r.secret_value(k["key"], key + ".key", true);
      if (sk.key.empty()) r.fail(k["key"], key + ".key", "may not be empty");
      if (k["allowed_credentials"]) sk.allowed_credentials = r.labels(k["allowed_credentials"], key + ".allowed_credentials");
      if (k["allowed_routes"]) sk.allowed_routes = r.strings(k["allowed_routes"], key + ".allowed_routes");
      if (k["max_budget"]) sk.max_budget = r.number(k["max_budget"], key + ".max_budget", 0, 1e12);
      if (k["budget_duration"]) {
        sk.budget_duration = r.str(k["budget_duration"], key + ".budget_duration");
        if (!limits::parse_budget_period(sk.budget_duration))
          r.fail(k["budget_duration"], key + ".budget_duration",
                 "expected a period such as 1d, 1w, 1mo, 30d, 12h, 30m (got '" + sk.budget_duration + "')");
      }
      if (k["budget_credentials"]) sk.budget_credentials = r.labels(k["budget_credentials"], key + ".budget_credentials");
      auto count = [&](const char* name, std::optional<std::int64_t>& out) {
        if (k[name]) out = static_cast<std::int64_t>(r.whole(k[name], key + "." + name, 1, 1'000'000'000));
      };
      count("rpm_limit", sk.rpm_limit);
      count("tpm_limit", sk.tpm_limit);
      count("max_parallel_requests", sk.max_parallel_requests);
      for (const auto& rt : sk.allowed_routes)
        if (!c.routes.count(rt)) r.fail(k["allowed_routes"], key + ".allowed_routes", "names unknown route '" + rt + "'");
      c.keys.push_back(std::move(sk));
    }
  }
  if (auto u = root["usage"]) {
    r.expect_map(u, "usage", {"tap"});
    if (u["tap"]) c.usage.tap = r.boolean(u["tap"], "usage.tap");
  }
  if (auto p = root["prices_file"]; p && !p.IsNull()) {
    c.prices_file = r.str(p, "prices_file");
    if (!std::ifstream(*c.prices_file)) r.fail(p, "prices_file", "cannot read " + *c.prices_file);
  }
  if (auto s = root["store"]) {
    r.expect_map(s, "store", {"sqlite", "postgres", "spend_queue_bytes", "drain_timeout_s", "spool_dir", "spool_max_bytes", "key_reload_s"});
    if (s["sqlite"] && s["postgres"]) r.fail(s, "store", "give either sqlite or postgres, not both");
    if (s["sqlite"]) c.store.sqlite = r.str(s["sqlite"], "store.sqlite");
    if (s["postgres"]) {
      c.store.postgres = r.secret_value(s["postgres"], "store.postgres", true);
      if (c.store.postgres.empty()) r.fail(s["postgres"], "store.postgres", "is empty");
    }
    if (s["key_reload_s"]) c.store.key_reload_s = r.number(s["key_reload_s"], "store.key_reload_s", 0.05, 3600);
    if (s["spool_dir"]) c.store.spool_dir = r.str(s["spool_dir"], "store.spool_dir");
    if (s["spool_max_bytes"]) c.store.spool_max_bytes = r.whole(s["spool_max_bytes"], "store.spool_max_bytes", 0, 1ull << 50);
    if (s["spend_queue_bytes"])
      c.store.spend_queue_bytes = r.whole(s["spend_queue_bytes"], "store.spend_queue_bytes", 1ull << 20, 1ull << 40);
    if (s["drain_timeout_s"]) c.store.drain_timeout_s = r.number(s["drain_timeout_s"], "store.drain_timeout_s", 0, 3600);
  }
  if (auto rd = root["redis"]; rd && !rd.IsNull()) {
    r.expect_map(rd, "redis", {"url", "timeout_s"});
    if (!rd["url"]) r.fail(rd, "redis", "needs url (redis://host:port)");
    c.redis.url = r.secret_value(rd["url"], "redis.url", true);
    if (!c.redis.url.reveal().starts_with("redis://"))
      r.fail(rd["url"], "redis.url", "expected redis://[:password@]host:port[/db]");
    if (rd["timeout_s"]) c.redis.timeout_s = r.number(rd["timeout_s"], "redis.timeout_s", 0.001, 60);
  }
  if (auto l = root["log"]) {
    r.expect_map(l, "log", {"access", "level"});
    if (l["access"]) c.log.access = r.boolean(l["access"], "log.access");
    if (l["level"]) {
      c.log.level = r.str(l["level"], "log.level");
      static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "off"};
      if (!levels.count(c.log.level)) r.fail(l["level"], "log.level", "expected trace, debug, info, warn, error or off");
    }
  }
}

}  // namespace

std::string effective_spool_dir(const store_config& s) {
  if (!s.spool_dir.empty()) return s.spool_dir;
  if (!s.postgres.empty()) return "passgate-spool";
  if (s.sqlite == ":memory:") return "";
  return s.sqlite + "-spool";
}

std::optional<std::string> process_env(const char* name) {
  if (const char* v = std::getenv(name)) return std::string(v);
  return std::nullopt;
}

std::string upstream_url::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) h += ":" + std::to_string(port);
  return h;
}

void parse_listen(const std::string& text, std::string& host, std::uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) throw config_error("listen address '" + text + "' needs HOST:PORT");
  std::string h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  else if (h.find_first_of("[]") != std::string::npos) throw config_error("listen address '" + text + "' has a bad host");
  if (h.empty()) h = "127.0.0.1";
  auto p = text.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos || std::stoul(p) > 65535)
    throw config_error("listen address '" + text + "' has a bad port");
  host = h;
  port = static_cast<std::uint16_t>(std::stoul(p));
}

config defaults(env_lookup env) {
  config c;
  c.source = "<defaults>";
  auto set = [&](const char* name) -> std::optional<std::string> {
    auto v = env(name);
    if (v && !v->empty()) return v;
    return std::nullopt;
  };
  // A provider's route on its public upstream; its server key from the first
  // of `key_vars` that is set.
  auto add = [&](const char* name, policy::provider_kind kind, std::initializer_list<const char*> key_vars) -> route_config& {
    route_config r;
    r.name = name;
    r.provider = kind;
    r.upstream_text = std::string(policy::rule_of(kind).default_upstream);
    for (auto var : key_vars)
      if (auto k = set(var); k && r.server_key.empty()) r.server_key = secret(*k);
    return c.routes[r.name] = std::move(r);
  };
  add("anthropic", policy::provider_kind::anthropic, {"ANTHROPIC_API_KEY"}).upstream = {true, "api.anthropic.com", 443, ""};
  add("openai", policy::provider_kind::openai, {"OPENAI_API_KEY"}).upstream = {true, "api.openai.com", 443, ""};
  add("gemini", policy::provider_kind::gemini, {"GEMINI_API_KEY", "GOOGLE_API_KEY"}).upstream = {
      true, "generativelanguage.googleapis.com", 443, ""};
  // No Bedrock route without a config file: AWS credentials in a shell's
  // environment are often broad, and a route signs every request with them.
  for (auto& [name, r] : c.routes) {
    if (!r.server_key.fits_a_header()) r.server_key = {};  // never sent: a header line cannot hold it
    finish_route(r);
  }
  return c;
}

config load_text(const std::string& yaml, const std::string& source_name, env_lookup env) {
  config c = defaults(env);
  c.source = source_name;
  reader r(source_name, env);
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw config_error(source_name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  try {
    parse_document(r, root, c);
  } catch (const YAML::Exception& e) {
    throw config_error(source_name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return c;
}

config load_file(const std::string& path, env_lookup env) {
  std::ifstream in(path);
  if (!in) throw config_error(path + ": cannot read the file");
  std::stringstream ss;
  ss << in.rdbuf();
  return load_text(ss.str(), path, env);
}

std::string describe(const config& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "server" << YAML::Value << YAML::BeginMap
      << YAML::Key << "listen" << YAML::Value << (c.server.listen_host + ":" + std::to_string(c.server.listen_port))
      << YAML::Key << "threads" << YAML::Value << c.server.threads << YAML::EndMap;
  const auto& L = c.limits;
  out << YAML::Key << "limits" << YAML::Value << YAML::BeginMap
      << YAML::Key << "max_header_bytes" << YAML::Value << L.max_header_bytes
      << YAML::Key << "max_header_count" << YAML::Value << L.max_header_count
      << YAML::Key << "max_body_bytes" << YAML::Value << L.max_body_bytes
      << YAML::Key << "idle_timeout_s" << YAML::Value << L.idle_timeout_s
      << YAML::Key << "header_timeout_s" << YAML::Value << L.header_timeout_s
      << YAML::Key << "upstream_connect_timeout_s" << YAML::Value << L.upstream_connect_timeout_s
      << YAML::Key << "upstream_idle_timeout_s" << YAML::Value << L.upstream_idle_timeout_s
      << YAML::Key << "shutdown_grace_s" << YAML::Value << L.shutdown_grace_s
      << YAML::Key << "pool_max_idle_per_host" << YAML::Value << L.pool_max_idle_per_host
      << YAML::Key << "pool_idle_s" << YAML::Value << L.pool_idle_s
      << YAML::Key << "on_shared_error" << YAML::Value
      << (L.on_shared_error == limits_config::shared_error_mode::deny ? "deny" : "local") << YAML::EndMap;
  // An absent value is YAML null, never the string "null".
  out.SetNullFormat(YAML::LowerNull);
  auto masked_or_null = [&](const secret& s) -> YAML::Emitter& {
    return s.empty() ? out << YAML::Null : out << s.masked();
  };
  out << YAML::Key << "routes" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, r] : c.routes) {
    out << YAML::Key << name << YAML::Value << YAML::BeginMap << YAML::Key << "provider" << YAML::Value
        << std::string(to_string(r.provider)) << YAML::Key << "upstream" << YAML::Value << r.upstream_text;
    if (r.provider == policy::provider_kind::bedrock) {
      out << YAML::Key << "region" << YAML::Value << r.aws.region << YAML::Key << "aws_access_key_id" << YAML::Value;
      masked_or_null(r.aws.access_key_id) << YAML::Key << "aws_secret_access_key" << YAML::Value;
      (r.aws.secret_access_key.empty() ? out << YAML::Null : out << r.aws.secret_access_key.masked_fully())
          << YAML::Key << "aws_session_token" << YAML::Value;
      (r.aws.session_token.empty() ? out << YAML::Null : out << r.aws.session_token.masked_fully());
    } else {
      out << YAML::Key << "server_key" << YAML::Value;
      masked_or_null(r.server_key);
    }
    if (r.provider == policy::provider_kind::generic)
      out << YAML::Key << "credential_header" << YAML::Value << r.credential_header << YAML::Key << "credential_format"
          << YAML::Value << (r.credential_bearer ? "bearer" : "raw") << YAML::Key << "cost_header" << YAML::Value
          << r.cost_header;
    out << YAML::Key << "ca_file" << YAML::Value;
    (r.ca_file ? out << *r.ca_file : out << YAML::Null)
        << YAML::Key << "client_credentials" << YAML::Value
        << (r.client_credentials == policy::client_credentials_mode::forward ? "forward" : "server_only");
    if (r.provider == policy::provider_kind::anthropic)
      out << YAML::Key << "oauth_hosts" << YAML::Value << YAML::Flow << r.oauth_hosts;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  out << YAML::Key << "master_key" << YAML::Value;
  masked_or_null(c.master_key);
  out << YAML::Key << "auth" << YAML::Value << YAML::BeginMap << YAML::Key << "require_key" << YAML::Value
      << c.auth.require_key << YAML::EndMap;
  out << YAML::Key << "keys" << YAML::Value << YAML::BeginSeq;
  for (const auto& k : c.keys) {
    out << YAML::BeginMap << YAML::Key << "alias" << YAML::Value << k.alias << YAML::Key << "key" << YAML::Value
        << k.key.masked() << YAML::Key << "allowed_credentials" << YAML::Value << k.allowed_credentials.describe()
        << YAML::Key << "allowed_routes" << YAML::Value << YAML::Flow << k.allowed_routes;
    auto optional_number = [&](const char* name, const auto& v) {
      out << YAML::Key << name << YAML::Value;
      if (v) out << *v;
      else out << YAML::Null;
    };
    optional_number("max_budget", k.max_budget);
    out << YAML::Key << "budget_duration" << YAML::Value << k.budget_duration << YAML::Key << "budget_credentials"
        << YAML::Value << k.budget_credentials.describe();
    optional_number("rpm_limit", k.rpm_limit);
    optional_number("tpm_limit", k.tpm_limit);
    optional_number("max_parallel_requests", k.max_parallel_requests);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "store" << YAML::Value << YAML::BeginMap;
  if (c.store.postgres.empty()) out << YAML::Key << "sqlite" << YAML::Value << c.store.sqlite;
  else out << YAML::Key << "postgres" << YAML::Value << redact_url(c.store.postgres.reveal());
  out << YAML::Key << "spend_queue_bytes" << YAML::Value << c.store.spend_queue_bytes
      << YAML::Key << "drain_timeout_s" << YAML::Value << c.store.drain_timeout_s
      << YAML::Key << "key_reload_s" << YAML::Value << c.store.key_reload_s
      << YAML::Key << "spool_dir" << YAML::Value << effective_spool_dir(c.store)
      << YAML::Key << "spool_max_bytes" << YAML::Value << c.store.spool_max_bytes << YAML::EndMap;
  out << YAML::Key << "redis" << YAML::Value;
  if (c.redis.url.empty()) out << YAML::Null;
  else
    out << YAML::BeginMap << YAML::Key << "url" << YAML::Value << redact_url(c.redis.url.reveal()) << YAML::Key
        << "timeout_s" << YAML::Value << c.redis.timeout_s << YAML::EndMap;
  out << YAML::Key << "usage" << YAML::Value << YAML::BeginMap << YAML::Key << "tap" << YAML::Value
      << c.usage.tap << YAML::EndMap;
  out << YAML::Key << "prices_file" << YAML::Value;
  if (c.prices_file) out << *c.prices_file;
  else out << YAML::Null;
  out << YAML::Key << "log" << YAML::Value << YAML::BeginMap << YAML::Key << "access" << YAML::Value << c.log.access
      << YAML::Key << "level" << YAML::Value << c.log.level << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace passgate::config

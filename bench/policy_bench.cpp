// The header policy and credential rule, and path mapping, on the request path.
// Requests look like what Claude Code sends (~15 headers); one policy_result and one
// target string are reused across iterations, as a connection reuses them. The key
// lookup is an in-memory map, so these numbers are the rule's own cost; the real
// lookup (key_cache: SHA-256 + hash map) is measured in key_cache_bench.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "policy/credential_rule.hpp"
#include "policy/path_mapping.hpp"

namespace {

using namespace passgate;
using namespace passgate::policy;

const std::string gateway_key = "sk-pg-Q2xhdWRlQ29kZUJlbmNobWFyazAxMjM0NTY3ODlhYmNkZWY";
const std::string oauth = "Bearer sk-ant-oat01-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AA";
const std::string byok = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AA";
const std::string server_key = "sk-ant-api03-SERVERKEYSERVERKEYSERVERKEYSERVERKEY-0123456789AA";
const std::string bearer_gateway_key = "Bearer " + gateway_key;  // the views below point into these

struct fixture {
  std::map<std::string, std::shared_ptr<auth::key_record>, std::less<>> keys;
  key_lookup lookup;
  route_policy route;

  fixture() {
    auto r = std::make_shared<auth::key_record>();
    r->key_id = "key_bench";
    keys[gateway_key] = r;
    lookup = [this](std::string_view k) -> std::shared_ptr<const auth::key_record> {
      auto it = keys.find(k);
      return it == keys.end() ? nullptr : it->second;
    };
    route.route_name = "anthropic";
    route.server_key = server_key;
  }
};

fixture& shared() {
  static fixture f;
  return f;
}

// Claude Code with a Pro/Max login and the gateway key in ANTHROPIC_CUSTOM_HEADERS.
const std::vector<header_view> claude_code_oauth = {
    {"Host", "gateway.internal:4000"},
    {"Connection", "keep-alive"},
    {"Accept", "application/json"},
    {"X-Stainless-Retry-Count", "0"},
    {"X-Stainless-Timeout", "600"},
    {"X-Stainless-Lang", "js"},
    {"X-Stainless-Package-Version", "0.55.1"},
    {"X-Stainless-OS", "Linux"},
    {"X-Stainless-Arch", "x64"},
    {"X-Stainless-Runtime", "node"},
    {"X-Stainless-Runtime-Version", "v22.17.0"},
    {"anthropic-dangerous-direct-browser-access", "true"},
    {"anthropic-version", "2023-06-01"},
    {"authorization", oauth},
    {"x-app", "cli"},
    {"User-Agent", "claude-cli/1.0.83 (external, cli)"},
    {"content-type", "application/json"},
    {"anthropic-beta", "claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14"},
    {"x-claude-code-session-id", "5b1d2c4e-7f80-4a1b-9c3d-0e1f2a3b4c5d"},
    {"x-passgate-key", gateway_key},
    {"accept-encoding", "gzip, deflate, br"},
    {"Content-Length", "48213"},
};

// The same client with its own API key and a LiteLLM-style gateway header.
const std::vector<header_view> sdk_byok = {
    {"Host", "gateway.internal:4000"},
    {"Accept", "application/json"},
    {"X-Stainless-Lang", "python"},
    {"X-Stainless-Package-Version", "0.60.0"},
    {"X-Stainless-OS", "MacOS"},
    {"X-Stainless-Arch", "arm64"},
    {"X-Stainless-Runtime", "CPython"},
    {"X-Stainless-Runtime-Version", "3.12.4"},
    {"anthropic-version", "2023-06-01"},
    {"x-api-key", byok},
    {"x-litellm-api-key", bearer_gateway_key},
    {"User-Agent", "Anthropic/Python 0.60.0"},
    {"content-type", "application/json"},
    {"accept-encoding", "gzip, deflate"},
    {"Content-Length", "1532"},
};

// No provider credential: the server key is added; an x-pass header applies last.
const std::vector<header_view> server_key_xpass = {
    {"Host", "gateway.internal:4000"},
    {"Connection", "keep-alive, x-trace-hop"},
    {"x-trace-hop", "1"},
    {"Accept", "application/json"},
    {"X-Stainless-Lang", "js"},
    {"X-Stainless-OS", "Linux"},
    {"anthropic-version", "2023-06-01"},
    {"anthropic-beta", "claude-code-20250219"},
    {"x-pass-anthropic-beta", "context-1m-2025-08-07"},
    {"x-passgate-key", gateway_key},
    {"User-Agent", "claude-cli/1.0.83 (external, cli)"},
    {"content-type", "application/json"},
    {"Expect", "100-continue"},
    {"Content-Length", "2048"},
};

void run_rule(benchmark::State& state, const std::vector<header_view>& headers, credential_label want) {
  auto& f = shared();
  policy_result out;
  for (auto _ : state) {
    apply_credential_rule(headers, f.route, f.lookup, out);
    benchmark::DoNotOptimize(out.headers.data());
    benchmark::ClobberMemory();
  }
  if (out.error || out.label != want) state.SkipWithError("unexpected result");
  state.counters["headers_in"] = double(headers.size());
  state.counters["headers_out"] = double(out.headers.size());
}

void bm_rule_claude_code_oauth(benchmark::State& state) {
  run_rule(state, claude_code_oauth, credential_label::oauth);
}
BENCHMARK(bm_rule_claude_code_oauth);

void bm_rule_sdk_byok(benchmark::State& state) { run_rule(state, sdk_byok, credential_label::byok); }
BENCHMARK(bm_rule_sdk_byok);

void bm_rule_server_key_xpass(benchmark::State& state) {
  run_rule(state, server_key_xpass, credential_label::server);
}
BENCHMARK(bm_rule_server_key_xpass);

void bm_map_path(benchmark::State& state) {
  std::string out;
  const std::string_view base = state.range(0) ? "/proxy/anthropic" : "";
  for (auto _ : state) {
    auto m = map_path(base, "/v1/messages?beta=true", out);
    benchmark::DoNotOptimize(m);
    benchmark::DoNotOptimize(out.data());
  }
  if (out != std::string(base) + "/v1/messages?beta=true") state.SkipWithError("unexpected target");
}
BENCHMARK(bm_map_path)->Arg(0)->Arg(1);

void bm_map_path_refused(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    auto m = map_path("", "/v1/messages/%2E%2e/admin?beta=true", out);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(bm_map_path_refused);

}  // namespace

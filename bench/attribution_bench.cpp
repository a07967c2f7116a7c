// What reading metadata.user_id costs a request: the request body of a Claude
// Code turn (system prompt, tool definitions, a long conversation; metadata at
// the end, where the scan reads every byte before it) fed in the relay's 16 KiB
// reads. Bytes/s is of the body; the time per iteration is the cost per request
// of that size.
#include <benchmark/benchmark.h>

#include <string>

#include "usage/attribution.hpp"

namespace {

std::string claude_code_body(std::size_t target) {
  std::string b = R"({"model":"claude-sonnet-4-5","max_tokens":32000,"stream":true,)"
                  R"("system":[{"type":"text","text":"You are Claude Code, Anthropic's official CLI for Claude."}],)"
                  R"("tools":[{"name":"Bash","description":"Executes a given bash command \"with\" a timeout",)"
                  R"("input_schema":{"type":"object","properties":{"command":{"type":"string"}}}}],"messages":[)";
  int turn = 0;
  while (b.size() < target) {
    if (turn++) b += ',';
    b += R"({"role":"user","content":[{"type":"text","text":"Please look at src/proxy/relay.cpp and tell me why )"
         R"(the \"tail\" at c=1 is what it is; here is the output:\n)";
    b.append(900, 'x');
    b += R"("}]},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_01","name":"Bash",)"
         R"("input":{"command":"grep -n finish src/proxy/session.cpp"}}]})";
  }
  b += R"(],"metadata":{"user_id":"user_3f1c9a0b7d2e4f6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a)"
       R"(_account_4b1e0f9c-2d3a-4e5f-8a7b-6c5d4e3f2a1b_session_9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b"}})";
  return b;
}

void attribution_scan(benchmark::State& state) {
  const std::string body = claude_code_body(std::size_t(state.range(0)));
  passgate::usage::request_attribution a;
  for (auto _ : state) {
    for (std::size_t at = 0; at < body.size(); at += 16384)
      a.feed(std::string_view(body).substr(at, 16384));
    if (a.user().session_id.empty()) state.SkipWithError("no session found");
    a.reset();
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(body.size()));
}
BENCHMARK(attribution_scan)->Arg(2 << 10)->Arg(64 << 10)->Arg(1 << 20);

}  // namespace

// The config loader over arbitrary YAML, with a fake environment. A bad config
// must come back as config_error (naming the file); any other exception
// escaping load_text is a bug. An accepted config is described (as
// `passgate check-config` does) and must hold what later code relies on: each
// route has a host, and its host and base path can go into a request line and a
// Host header as they are.
//
// Input: the YAML text.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <typeinfo>

#include "config/config.hpp"
#include "fuzz_input.hpp"

namespace {

using namespace passgate;

std::optional<std::string> fake_env(const char* name) {
  const std::string n = name;
  if (n == "ANTHROPIC_API_KEY") return "sk-ant-api03-fuzz-server-key";
  if (n == "PASSGATE_MASTER_KEY") return "sk-pg-Fz0MasterKey0AbCdEfGhIjKlMnOpQrStUvWxYz0";
  if (n == "ALICE_KEY") return "sk-pg-Fz0AliceKey00AbCdEfGhIjKlMnOpQrStUvWxYz0";
  if (n == "CI_BOT_KEY") return "ci-bot-static-key";
  if (n == "EMPTY") return "";
  return std::nullopt;
}

// Text that goes into a request line or a Host header as it is.
bool plain(std::string_view s) {
  for (unsigned char ch : s)
    if (ch <= 0x20 || ch == 0x7f) return false;
  return true;
}

void check_accepted(const config::config& c) {
  for (const auto& [name, r] : c.routes) {
    PG_FUZZ_CHECK(name == r.name, "a route filed under another name");
    PG_FUZZ_CHECK(!r.name.empty() && r.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos,
                  "a route name outside a-z, 0-9, '-', '_'");
    PG_FUZZ_CHECK(!r.upstream.host.empty(), "a route whose upstream has no host");
    PG_FUZZ_CHECK(r.upstream.port != 0, "a route whose upstream has port 0");
    const auto& b = r.upstream.base_path;
    PG_FUZZ_CHECK(b.empty() || (b.front() == '/' && b.back() != '/'), "a base path not of the form /a/b");
    PG_FUZZ_CHECK(plain(r.upstream.host) && plain(b), "an upstream host or path with white space or a control character");
  }
  for (const auto& k : c.keys) PG_FUZZ_CHECK(!k.key.empty(), "a config key that is empty");
  PG_FUZZ_CHECK(c.limits.max_header_bytes >= 1024 && c.limits.max_header_count >= 8, "limits below their minimums");
  fuzz::touch(config::describe(c));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  try {
    auto c = config::load_text(yaml, "fuzz.yaml", fake_env);
    check_accepted(c);
  } catch (const config::config_error& e) {
    PG_FUZZ_CHECK(std::string(e.what()).starts_with("fuzz.yaml"), "a config error that does not name the file");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\nUNEXPECTED EXCEPTION from config::load_text: %s: %s\n", typeid(e).name(), e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "\nUNEXPECTED EXCEPTION from config::load_text (not a std::exception)\n");
    std::abort();
  }
  return 0;
}

// Path mapping (DESIGN §1, "Paths cannot escape the route") over arbitrary
// targets. When map_path accepts, the upstream target must stay under the base
// path on the same host however an upstream decodes it.
//
// Input: [base][the request target after the route prefix]
//   base, low nibble: one of the base paths below. A target with a byte Beast
//   never lets into one (a control character, space or DEL) is passed over.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_input.hpp"
#include "policy/path_mapping.hpp"

namespace {

using namespace std::string_view_literals;

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoded once, as an upstream would; a bad escape stays as it is.
std::string decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += char(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr std::string_view bases[] = {""sv, "/proxy"sv, "/a/b"sv, "/v1"sv};
  passgate::fuzz::input in(data, size);
  const auto base = bases[in.choice(4)];
  const auto rest = in.rest();
  for (unsigned char c : rest)
    if (c <= 0x20 || c == 0x7f) return 0;

  std::string out = "left over from the last request";
  auto m = passgate::policy::map_path(base, rest, out);
  if (!m.ok) {
    PG_FUZZ_CHECK(!m.reason.empty(), "a refusal without a reason");
    return 0;
  }

  const auto q = rest.find('?');
  const auto query = q == std::string_view::npos ? ""sv : rest.substr(q);
  std::string_view mapped = out;
  PG_FUZZ_CHECK(mapped.starts_with(base), "the target leaves the base path");
  PG_FUZZ_CHECK(mapped.ends_with(query), "the query is not kept byte for byte");
  const auto path = mapped.substr(0, mapped.size() - query.size());
  PG_FUZZ_CHECK(path.size() > base.size() && path[base.size()] == '/', "the path does not go on from the base with '/'");
  PG_FUZZ_CHECK(path.front() == '/' && !path.starts_with("//"), "the target could name another host");
  PG_FUZZ_CHECK(path.find('#') == std::string_view::npos, "the path has a fragment");

  const auto plain = decode(path);
  PG_FUZZ_CHECK(plain.find('\\') == std::string::npos, "a backslash, once decoded");
  PG_FUZZ_CHECK(plain.find('\0') == std::string::npos, "a NUL, once decoded");
  PG_FUZZ_CHECK(!plain.starts_with("//"), "'//' at the start, once decoded");
  std::size_t raw_slashes = 0, plain_slashes = 0;
  for (char c : path) raw_slashes += c == '/';
  for (char c : plain) plain_slashes += c == '/';
  PG_FUZZ_CHECK(raw_slashes == plain_slashes, "an encoded '/'");
  // No "." or ".." segment once decoded (the base path's own segments included).
  std::string_view p = plain;
  while (!p.empty()) {
    p.remove_prefix(1);  // the '/'
    auto seg = p.substr(0, p.find('/'));
    PG_FUZZ_CHECK(seg != "." && seg != "..", "a dot segment, once decoded");
    p.remove_prefix(seg.size());
  }
  return 0;
}

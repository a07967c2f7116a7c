#pragma once
// What a strict edge refuses in a request head that Beast's parser lets through
// (RFC 9112): framing a second parser could read differently (request
// smuggling), obs-fold, a missing or doubled Host. A pure function over the
// parsed fields and the raw head bytes, so it is unit-tested and fuzzed alone.
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "common/gateway_error.hpp"
#include "common/headers.hpp"

namespace passgate::http {

struct head_problem {
  gateway_error code;
  std::string_view message;  // static text: names no header value
};

struct head_facts {
  std::span<const hdr::field> fields;
  unsigned version = 11;       // 10 or 11
  std::string_view raw;        // the header lines' bytes as received (the start line may be left out)
  std::size_t max_fields = 256;
};

std::optional<head_problem> check_request_head(const head_facts& head);

// The bytes of header lines (or a trailer section) contain a line folded onto
// the one before it: a line that starts with space or tab.
bool has_obs_fold(std::string_view raw);

}  // namespace passgate::http

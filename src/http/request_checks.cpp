#include "http/request_checks.hpp"


namespace passgate::http {

using namespace std::string_view_literals;

bool has_obs_fold(std::string_view raw) {
  if (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) return true;  // the first field line
  for (auto pos = raw.find('\n'); pos != std::string_view::npos; pos = raw.find('\n', pos + 1))
    if (pos + 1 < raw.size() && (raw[pos + 1] == ' ' || raw[pos + 1] == '\t')) return true;
  return false;
}

namespace {

// A request body's length must be read the same way by every hop. Transfer-
// Encoding is accepted only as exactly "chunked", once: anything else either
// hides the real end of the body (a smuggled request) or asks for a coding the
// gateway does not implement.
std::optional<head_problem> check_transfer_encoding(std::string_view te, int te_count, bool has_length,
                                                    unsigned version) {
  if (te_count == 0) return std::nullopt;
  if (version < 11)
    return head_problem{gateway_error::bad_request, "Transfer-Encoding is not allowed in an HTTP/1.0 request"};
  if (te_count > 1)
    return head_problem{gateway_error::bad_request, "Transfer-Encoding may be sent only once"};
  if (has_length)
    return head_problem{gateway_error::bad_request, "a request may not carry both Content-Length and Transfer-Encoding"};
  int tokens = 0;
  std::string_view last;
  bool empty_token = false;
  // Tokens by hand rather than for_each_token: an empty element ("chunked,") counts.
  std::string_view rest = te;
  for (;;) {
    auto comma = rest.find(',');
    auto tok = hdr::trim(rest.substr(0, comma));
    empty_token |= tok.empty();
    ++tokens;
    last = tok;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (empty_token) return head_problem{gateway_error::bad_request, "Transfer-Encoding has an empty coding"};
  if (!hdr::iequals(last, "chunked"sv))
    return head_problem{gateway_error::bad_request,
                        "Transfer-Encoding must end with chunked; the body's length cannot be determined"};
  if (tokens > 1)
    return head_problem{gateway_error::not_implemented,
                        "only Transfer-Encoding: chunked is supported (no other transfer codings)"};
  return std::nullopt;
}

}  // namespace

std::optional<head_problem> check_request_head(const head_facts& head) {
  if (head.fields.size() > head.max_fields)
    return head_problem{gateway_error::headers_too_large, "the request has too many header fields"};
  if (has_obs_fold(head.raw))
    return head_problem{gateway_error::bad_request, "a header line is folded (obs-fold); send each header on one line"};
  int hosts = 0, te_count = 0;
  bool has_length = false;
  std::string_view te;
  for (const auto& f : head.fields) {
    if (hdr::iequals(f.name, hdr::host)) ++hosts;
    else if (hdr::iequals(f.name, hdr::transfer_encoding)) { ++te_count; te = f.value; }
    else if (hdr::iequals(f.name, hdr::content_length)) has_length = true;
  }
  if (hosts > 1) return head_problem{gateway_error::bad_request, "the request has more than one Host header"};
  if (hosts == 0 && head.version >= 11)
    return head_problem{gateway_error::bad_request, "an HTTP/1.1 request must have a Host header"};
  return check_transfer_encoding(te, te_count, has_length, head.version);
}

}  // namespace passgate::http

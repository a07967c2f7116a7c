#include "ui/ui_handler.hpp"

#include "common/gateway_error.hpp"
#include "policy/path_mapping.hpp"
#include "ui/ui_assets.hpp"

namespace passgate::ui {
namespace {

using namespace std::string_view_literals;

constexpr std::string_view security_headers =
    "content-security-policy: default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'\r\n"
    "x-content-type-options: nosniff\r\n"
    "referrer-policy: no-referrer\r\n";

proxy::local_response refuse(gateway_error e, std::string_view message, std::string_view extra = {}) {
  proxy::local_response r{shape_of(e).status, error_body(e, message)};
  r.headers.append(security_headers);
  r.headers.append("cache-control: no-store\r\n");
  r.headers.append(extra);
  return r;
}

// If-None-Match: "*" or a list of (possibly weak) entity tags.
bool matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    auto comma = if_none_match.find(',');
    auto item = if_none_match.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.starts_with("W/"sv)) item.remove_prefix(2);
    if (item == "*"sv || item == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

proxy::local_response serve_console(const proxy::local_request& req) {
  auto path = policy::path_only(req.target);
  if (path != "/ui"sv && !path.starts_with("/ui/"sv))
    return refuse(gateway_error::not_found, "no route for this path; the console is at /ui/");
  if (req.method != "GET"sv && req.method != "HEAD"sv)
    return refuse(gateway_error::method_not_allowed, "the console's files are read with GET or HEAD",
                  "allow: GET, HEAD\r\n");
  if (path == "/ui"sv || path == "/ui/"sv) path = "/ui/index.html"sv;
  const asset* a = find_ui_asset(path);
  if (!a) return refuse(gateway_error::not_found, "no such file in the console; open /ui/");

  proxy::local_response r;
  r.content_type = std::string(a->content_type);
  r.headers.append(security_headers);
  r.headers.append("cache-control: no-cache\r\n");
  r.headers.append("etag: ").append(a->etag).append("\r\n");
  if (!req.if_none_match.empty() && matches(req.if_none_match, a->etag)) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.body.assign(a->body);
  return r;
}

std::pair<std::string, proxy::local_handler> console_endpoint() { return {"/ui", serve_console}; }

}  // namespace passgate::ui

#pragma once
// Maps "/{route}/{path}?{query}" onto the upstream's base path, refusing anything
// that could leave it (DESIGN §1: dot segments, encoded dots and slashes,
// backslashes, absolute URLs). Pure; the query is kept byte for byte.
#include <string>
#include <string_view>

namespace passgate::policy {

struct mapped_path {
  bool ok = false;
  std::string_view reason;  // why it was refused, when !ok
};

// `rest` is the request target after the route prefix ("/v1/messages?beta=true",
// or "" for the bare prefix). `base_path` is the upstream URL's path without a
// trailing slash ("" or "/proxy"). Writes the upstream target into `out`.
// `encoded_slash_ok`: "%2F" may stand inside a segment (a Bedrock model id that
// is an ARN); dot segments are refused whether or not it is read as '/'.
mapped_path map_path(std::string_view base_path, std::string_view rest, std::string& out,
                     bool encoded_slash_ok = false);

// Takes every `name=…` parameter (its name percent-decoded) out of the query of
// `target` ("/p?a=1&key=K&b=2" → "/p?a=1&b=2"; a query left empty loses its
// '?'), the first one's value percent-decoded into `value`. A credential in a
// URL is moved to a header this way: URLs end up in logs, headers do not.
struct taken_param {
  bool found = false;
  bool conflicting = false;  // several with different values: which one was meant?
  explicit operator bool() const { return found; }
};
taken_param take_query_param(std::string& target, std::string_view name, std::string& value);

// The path part of a target, without the query ("/v1/messages").
constexpr std::string_view path_only(std::string_view target) {
  return target.substr(0, target.find('?'));
}

}  // namespace passgate::policy

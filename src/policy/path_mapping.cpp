#include "policy/path_mapping.hpp"

#include "common/headers.hpp"
#include "common/percent.hpp"

namespace passgate::policy {
namespace {

using namespace std::string_view_literals;

// A segment that is "." or ".." once percent-decoded ("%2e", ".%2E", …).
bool is_dot_segment(std::string_view seg) {
  int dots = 0;
  while (!seg.empty()) {
    if (seg.front() == '.') {
      seg.remove_prefix(1);
    } else if (seg.size() >= 3 && seg[0] == '%' && seg[1] == '2' && hdr::lower(seg[2]) == 'e') {
      seg.remove_prefix(3);
    } else {
      return false;
    }
    ++dots;
  }
  return dots == 1 || dots == 2;
}

// Whether a segment of `path` (split at '/') is a dot segment.
bool has_dot_segment(std::string_view path) {
  for (std::size_t start = 0; start < path.size();) {
    auto end = path.find('/', start + 1);
    auto seg = path.substr(start + 1, end == std::string_view::npos ? std::string_view::npos : end - start - 1);
    if (is_dot_segment(seg)) return true;
    if (end == std::string_view::npos) break;
    start = end;
  }
  return false;
}

}  // namespace

mapped_path map_path(std::string_view base_path, std::string_view rest, std::string& out, bool encoded_slash_ok) {
  auto q = rest.find('?');
  auto path = rest.substr(0, q);
  auto query = q == std::string_view::npos ? ""sv : rest.substr(q);

  if (!path.empty() && path.front() != '/') return {false, "the path must follow the route prefix with '/'"};
  if (path.starts_with("//"sv)) return {false, "the path may not start with '//'"};
  for (std::size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '\\') return {false, "the path may not contain a backslash"};
    if (c == '#') return {false, "the path may not contain a fragment"};
    if (c == '%') {
      if (i + 2 >= path.size()) return {false, "the path has a bad percent-escape"};
      char a = hdr::lower(path[i + 1]), b = hdr::lower(path[i + 2]);
      if (a == '2' && b == 'f' && !encoded_slash_ok) return {false, "the path may not contain an encoded '/'"};
      if (a == '5' && b == 'c') return {false, "the path may not contain an encoded backslash"};
      if (a == '0' && b == '0') return {false, "the path may not contain an encoded NUL"};
    }
  }
  if (has_dot_segment(path)) return {false, "the path may not contain '.' or '..' segments"};
  if (encoded_slash_ok) {
    // Were the upstream to read %2F as a separator, no dot segment may appear then either.
    std::string split(path);
    for (std::size_t at; (at = split.find("%2F")) != std::string::npos || (at = split.find("%2f")) != std::string::npos;)
      split.replace(at, 3, "/");
    if (has_dot_segment(split)) return {false, "the path may not contain '.' or '..' segments"};
  }

  out.assign(base_path);
  if (path.empty()) out += '/';
  out += path;
  out += query;
  return {true, {}};
}

namespace {

// A form-encoded query's piece, decoded ('+' is a space) in place of `out`.
void percent_decode(std::string_view in, std::string& out) {
  out.clear();
  pct::decode_append(in, out, true);
}

}  // namespace

taken_param take_query_param(std::string& target, std::string_view name, std::string& value) {
  taken_param out;
  const auto q = target.find('?');
  if (q == std::string::npos) return out;
  bool& found = out.found;
  std::string kept, decoded_name, other;
  std::string_view query = std::string_view(target).substr(q + 1);
  while (true) {
    const auto amp = query.find('&');
    const auto param = query.substr(0, amp);
    const auto eq = param.find('=');
    // The name as the upstream will read it ("k%65y" is "key").
    percent_decode(param.substr(0, eq), decoded_name);
    if (decoded_name == name) {
      percent_decode(eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1), found ? other : value);
      out.conflicting |= found && other != value;
      found = true;
    } else if (!param.empty()) {
      if (!kept.empty()) kept.push_back('&');
      kept.append(param);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  if (!found) return out;
  target.resize(q);
  if (!kept.empty()) {
    target.push_back('?');
    target.append(kept);
  }
  return out;
}

}  // namespace passgate::policy

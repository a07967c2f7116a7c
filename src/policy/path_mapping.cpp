#include "policy/path_mapping.hpp"

#include "common/headers.hpp"

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

}  // namespace

mapped_path map_path(std::string_view base_path, std::string_view rest, std::string& out) {
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
      if (a == '2' && b == 'f') return {false, "the path may not contain an encoded '/'"};
      if (a == '5' && b == 'c') return {false, "the path may not contain an encoded backslash"};
      if (a == '0' && b == '0') return {false, "the path may not contain an encoded NUL"};
    }
  }
  for (std::size_t start = 0; start < path.size();) {
    auto end = path.find('/', start + 1);
    auto seg = path.substr(start + 1, end == std::string_view::npos ? std::string_view::npos : end - start - 1);
    if (is_dot_segment(seg)) return {false, "the path may not contain '.' or '..' segments"};
    if (end == std::string_view::npos) break;
    start = end;
  }

  out.assign(base_path);
  if (path.empty()) out += '/';
  out += path;
  out += query;
  return {true, {}};
}

}  // namespace passgate::policy

#include "usage/attribution.hpp"

#include "common/utf8.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>

namespace passgate::usage {
namespace {

namespace json = boost::json;

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// "8-4-4-4-12" hex digits.
bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// "user_<hex>_account_<uuid or empty>_session_<uuid>"; false if not that shape.
bool parse_legacy(std::string_view id, user_id_parts& out) {
  constexpr std::string_view user = "user_", account = "_account_", session = "_session_";
  if (!id.starts_with(user)) return false;
  const auto a = id.find(account);
  const auto s = id.rfind(session);
  if (a == std::string_view::npos || s == std::string_view::npos || s < a + account.size()) return false;
  const auto hash = id.substr(user.size(), a - user.size());
  const auto acct = id.substr(a + account.size(), s - a - account.size());
  const auto sess = id.substr(s + session.size());
  // Claude Code's hash is 64 hex digits; a longer one is not that form (and
  // would be an unbounded field): kept as an opaque id, capped.
  if (hash.size() > 128 || !is_hex(hash) || (!acct.empty() && !is_uuid(acct)) || !is_uuid(sess)) return false;
  out.end_user = std::string(acct.empty() ? hash : acct);
  out.session_id = std::string(sess);
  return true;
}

std::string string_member(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// A parse of a small JSON text into a buffer on the stack: this runs for every
// request that names a user, and the heap would be used only for a large one.
struct small_json {
  unsigned char buffer[1024];
  json::monotonic_resource memory{buffer, sizeof buffer};
  json::value parse(std::string_view text, boost::system::error_code& ec) {
    return json::parse(text, ec, json::storage_ptr(&memory));
  }
};

// {"device_id":…,"account_uuid":…,"session_id":…}; false if not a JSON object.
bool parse_json_form(std::string_view id, user_id_parts& out) {
  if (id.empty() || id.front() != '{') return false;
  boost::system::error_code ec;
  small_json scratch;
  auto v = scratch.parse(id, ec);
  if (ec || !v.is_object()) return false;
  const auto& o = v.get_object();
  auto account = string_member(o, "account_uuid");
  auto device = string_member(o, "device_id");
  out.end_user = clean_field(account.empty() ? device : account);
  out.session_id = clean_field(string_member(o, "session_id"));
  return true;
}

}  // namespace

std::string clean_field(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), max_field_bytes));
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    std::size_t n = 1;
    if (c >= 0x80) n = utf8_sequence(text.substr(i));
    if (out.size() + std::max<std::size_t>(n, 1) > max_field_bytes) break;
    if (c >= 0x20 && c < 0x7F) out.push_back(char(c));
    else if (n >= 2) out.append(text.substr(i, n));
    else out.push_back('?');
    i += std::max<std::size_t>(n, 1);
  }
  return out;
}

user_id_parts parse_user_id(std::string_view user_id) {
  user_id_parts out;
  if (parse_legacy(user_id, out) || parse_json_form(user_id, out)) return out;
  out.end_user = clean_field(user_id);
  return out;
}

std::string client_from_user_agent(std::string_view ua) {
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!ua.empty() && is_space(ua.front())) ua.remove_prefix(1);
  auto end = std::find_if(ua.begin(), ua.end(), is_space);
  std::string_view token = ua.substr(0, std::size_t(end - ua.begin()));
  // "Anthropic/JS 0.60.0": the version is the next word.
  const auto slash = token.find('/');
  const bool versioned = slash != std::string_view::npos && slash + 1 < token.size() &&
                         std::isdigit(static_cast<unsigned char>(token[slash + 1]));
  if (!versioned && end != ua.end()) {
    auto rest = ua.substr(token.size());
    while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
    if (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front()))) {
      auto word_end = std::find_if(rest.begin(), rest.end(), is_space);
      token = ua.substr(0, std::size_t(rest.data() - ua.data()) + std::size_t(word_end - rest.begin()));
    }
  }
  return clean_field(token);
}

void request_attribution::on_member(std::string_view, std::string_view raw_value, bool truncated) {
  if (truncated) return;  // a metadata object over 64 KiB is not one we read
  boost::system::error_code ec;
  small_json scratch;
  auto v = scratch.parse(raw_value, ec);
  if (ec || !v.is_object()) return;
  auto* id = v.get_object().if_contains("user_id");
  if (!id || !id->is_string()) return;
  parts_ = parse_user_id(id->get_string());
  found_ = true;
}

void request_attribution::reset() {
  scanner_.reset();
  parts_ = {};
  found_ = false;
}

}  // namespace passgate::usage

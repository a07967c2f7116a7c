#include "admin/key_request.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <limits>

namespace passgate::admin {
namespace {

namespace json = boost::json;

std::string_view type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "a value";
}

problem wrong_type(std::string_view field, std::string_view expected, const json::value& got) {
  return bad_request("field '" + std::string(field) + "' must be " + std::string(expected) + ", not " +
                     std::string(type_name(got)));
}

result<json::object> parse_object(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return bad_request("malformed JSON: " + ec.message());
  if (!v.is_object()) return bad_request("the request body must be a JSON object, not " + std::string(type_name(v)));
  return std::move(v.get_object());
}

// Each reader: nullopt when the value fits (and was stored), else the problem.
std::optional<problem> read_string(const json::value& v, std::string_view name, patch<std::string>& out) {
  if (v.is_null()) return out.emplace(std::nullopt), std::nullopt;
  if (!v.is_string()) return wrong_type(name, "a string or null", v);
  out.emplace(std::string(v.get_string()));
  return std::nullopt;
}

std::optional<problem> read_integer(const json::value& v, std::string_view name, patch<std::int64_t>& out) {
  if (v.is_null()) return out.emplace(std::nullopt), std::nullopt;
  if (v.is_int64()) return out.emplace(v.get_int64()), std::nullopt;
  if (v.is_uint64()) {
    if (v.get_uint64() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
      return bad_request("field '" + std::string(name) + "' is too large");
    return out.emplace(std::int64_t(v.get_uint64())), std::nullopt;
  }
  if (v.is_double()) return bad_request("field '" + std::string(name) + "' must be an integer, not a fraction");
  return wrong_type(name, "an integer or null", v);
}

std::optional<problem> read_number(const json::value& v, std::string_view name, patch<double>& out) {
  if (v.is_null()) return out.emplace(std::nullopt), std::nullopt;
  if (!v.is_number()) return wrong_type(name, "a number or null", v);
  out.emplace(v.to_number<double>());
  return std::nullopt;
}

std::optional<problem> read_string_list(const json::value& v, std::string_view name,
                                        patch<std::vector<std::string>>& out) {
  if (v.is_null()) return out.emplace(std::nullopt), std::nullopt;
  if (!v.is_array()) return wrong_type(name, "an array of strings or null", v);
  std::vector<std::string> items;
  for (const auto& e : v.get_array()) {
    if (!e.is_string())
      return bad_request("field '" + std::string(name) + "' must be an array of strings; element " +
                         std::to_string(items.size()) + " is " + std::string(type_name(e)));
    items.emplace_back(e.get_string());
  }
  out.emplace(std::move(items));
  return std::nullopt;
}

std::optional<problem> read_metadata(const json::value& v, std::string_view name, patch<std::string>& out) {
  if (v.is_null()) return out.emplace(std::nullopt), std::nullopt;
  if (!v.is_object()) return wrong_type(name, "an object or null", v);
  out.emplace(json::serialize(v));
  return std::nullopt;
}

// Reads the key_fields members of `obj`; `extra` handles the other known names
// (returns false for an unknown one).
std::optional<problem> read_key_fields(
    const json::object& obj, key_fields& f,
    const std::function<std::optional<std::optional<problem>>(std::string_view, const json::value&)>& extra) {
  for (const auto& [name, v] : obj) {
    std::optional<problem> p;
    if (name == "key_alias") p = read_string(v, name, f.key_alias);
    else if (name == "duration") p = read_string(v, name, f.duration);
    else if (name == "max_budget") p = read_number(v, name, f.max_budget);
    else if (name == "budget_duration") p = read_string(v, name, f.budget_duration);
    else if (name == "rpm_limit") p = read_integer(v, name, f.rpm_limit);
    else if (name == "tpm_limit") p = read_integer(v, name, f.tpm_limit);
    else if (name == "max_parallel_requests") p = read_integer(v, name, f.max_parallel_requests);
    else if (name == "metadata") p = read_metadata(v, name, f.metadata_json);
    else if (name == "allowed_routes") p = read_string_list(v, name, f.allowed_routes);
    else if (name == "allowed_credentials") p = read_string_list(v, name, f.allowed_credentials);
    else if (name == "budget_credentials") p = read_string_list(v, name, f.budget_credentials);
    else {
      auto handled = extra ? extra(name, v) : std::nullopt;
      if (!handled) return bad_request("unknown field '" + std::string(name) + "'");
      p = *handled;
    }
    if (p) return p;
  }
  return std::nullopt;
}

}  // namespace

result<key_fields> parse_generate_body(std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  key_fields f;
  if (auto p = read_key_fields(*obj, f, nullptr)) return *p;
  return f;
}

result<update_request> parse_update_body(std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  update_request r;
  bool has_id = false;
  auto extra = [&](std::string_view name, const json::value& v) -> std::optional<std::optional<problem>> {
    if (name != "key_id") return std::nullopt;
    if (!v.is_string()) return std::optional<problem>(wrong_type(name, "a string", v));
    r.key_id = std::string(v.get_string());
    has_id = true;
    return std::optional<problem>();
  };
  if (auto p = read_key_fields(*obj, r.fields, extra)) return *p;
  if (!has_id || r.key_id.empty()) return bad_request("field 'key_id' is required");
  return r;
}

result<delete_request> parse_delete_body(std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  delete_request r;
  for (const auto& [name, v] : *obj) {
    std::vector<std::string>* list = nullptr;
    if (name == "keys") list = &r.keys;
    else if (name == "key_ids") list = &r.key_ids;
    else return bad_request("unknown field '" + std::string(name) + "'");
    patch<std::vector<std::string>> items;
    if (v.is_null()) continue;
    if (auto p = read_string_list(v, name, items)) return *p;
    *list = std::move(**items);
  }
  if (r.keys.empty() && r.key_ids.empty()) return bad_request("name the keys to delete in 'keys' or 'key_ids'");
  if (r.keys.size() + r.key_ids.size() > max_delete_entries)
    return bad_request("at most " + std::to_string(max_delete_entries) + " keys may be deleted at once");
  return r;
}

result<std::string> parse_metadata_text(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return bad_request(std::string(what) + ": malformed JSON: " + ec.message());
  if (!v.is_object()) return bad_request(std::string(what) + " must be a JSON object, not " + std::string(type_name(v)));
  return json::serialize(v);
}

}  // namespace passgate::admin

#include "usage/prices.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <stdexcept>

#include "usage/default_prices.hpp"

namespace passgate::usage {
namespace json = boost::json;
namespace {

[[noreturn]] void fail(const std::string& where, std::string_view what) {
  throw std::runtime_error("prices: " + where + ": " + std::string(what));
}

std::string member_path(const std::string& where, std::string_view key) {
  return where.empty() ? std::string(key) : where + "." + std::string(key);
}

// Unknown fields are refused so that a misspelt price ("ouput") is not silently 0.
void check_fields(const json::object& o, std::initializer_list<std::string_view> known,
                  const std::string& where) {
  for (const auto& member : o) {
    const std::string_view key(member.key().data(), member.key().size());
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      fail(member_path(where, key), "unknown field");
    }
    if (key == "note" && !member.value().is_string()) {
      fail(member_path(where, key), "expected a string");
    }
  }
}

const json::object& object_at(const json::value& v, const std::string& where) {
  if (!v.is_object()) fail(where, "expected an object");
  return v.get_object();
}

double price_at(const json::object& o, std::string_view key, const std::string& where) {
  const auto path = member_path(where, key);
  const auto* v = o.if_contains(key);
  if (v == nullptr) fail(path, "missing");
  if (!v->is_number()) fail(path, "expected a number");
  const double d = v->to_number<double>();
  if (!std::isfinite(d) || d < 0) fail(path, "expected a price >= 0");
  return d;
}

token_prices prices_at(const json::object& o, const std::string& where) {
  return {price_at(o, "input", where), price_at(o, "output", where),
          price_at(o, "cache_write_5m", where), price_at(o, "cache_write_1h", where),
          price_at(o, "cache_read", where)};
}

long_context_tier tier_at(const json::value& v, const std::string& where) {
  const auto& o = object_at(v, where);
  check_fields(o, {"above_input_tokens", "input", "output", "cache_write_5m", "cache_write_1h",
                   "cache_read", "note"},
               where);
  const auto path = member_path(where, "above_input_tokens");
  const auto* above = o.if_contains("above_input_tokens");
  if (above == nullptr) fail(path, "missing");
  const auto* n = above->if_int64();
  if (n == nullptr || *n <= 0) fail(path, "expected a whole number > 0");
  return {*n, prices_at(o, where)};
}

}  // namespace

double cost_usd(const model_price& price, const usage_result& usage) {
  // In double: token counts come from the network and their sums must not overflow.
  const double input = static_cast<double>(usage.input_tokens.value_or(0));
  const double output = static_cast<double>(usage.output_tokens.value_or(0));
  const double read = static_cast<double>(usage.cache_read_input_tokens.value_or(0));
  const double write_1h = static_cast<double>(usage.cache_creation_1h_input_tokens.value_or(0));
  const double writes =
      std::max(static_cast<double>(usage.cache_creation_input_tokens.value_or(0)),
               static_cast<double>(usage.cache_creation_5m_input_tokens.value_or(0)) + write_1h);
  const double write_5m = writes - write_1h;
  const auto& tier = price.long_context;
  const token_prices& p =
      tier && input + writes + read > static_cast<double>(tier->above_input_tokens) ? tier->prices
                                                                                     : price.base;
  return (input * p.input + output * p.output + write_5m * p.cache_write_5m +
          write_1h * p.cache_write_1h + read * p.cache_read) /
         1e6;
}

price_table price_table::from_json(std::string_view json_text) {
  boost::system::error_code ec;
  const auto root = json::parse(json::string_view(json_text.data(), json_text.size()), ec);
  if (ec) fail("JSON", ec.message());
  const auto& top = object_at(root, "top level");
  check_fields(top, {"models", "note"}, "");
  const auto* models = top.if_contains("models");
  if (models == nullptr) fail("models", "missing");

  price_table table;
  for (const auto& entry : object_at(*models, "models")) {
    const std::string id(entry.key().data(), entry.key().size());
    const auto where = "models." + id;
    if (id.empty()) fail(where, "empty model id");
    const auto& o = object_at(entry.value(), where);
    check_fields(o, {"input", "output", "cache_write_5m", "cache_write_1h", "cache_read", "aliases",
                     "long_context", "note"},
                 where);
    model_price price{prices_at(o, where), std::nullopt};
    if (const auto* tier = o.if_contains("long_context")) {
      price.long_context = tier_at(*tier, where + ".long_context");
    }

    if (table.exact(id) != nullptr) fail(where, "model id \"" + id + "\" is listed twice");
    table.models_.emplace(id, price);
    if (const auto* aliases = o.if_contains("aliases")) {
      if (!aliases->is_array()) fail(where + ".aliases", "expected an array of model ids");
      for (const auto& alias : aliases->get_array()) {
        const auto* s = alias.if_string();
        if (s == nullptr || s->empty()) fail(where + ".aliases", "expected an array of model ids");
        const std::string name(s->data(), s->size());
        if (table.exact(name) != nullptr) fail(where, "model id \"" + name + "\" is listed twice");
        table.aliases_.emplace(name, id);
      }
    }
  }
  return table;
}

price_table price_table::load_default() { return from_json(default_prices_json()); }

void price_table::merge(const price_table& overrides) {
  for (const auto& [alias, id] : overrides.aliases_) {
    if (models_.contains(alias) && !overrides.models_.contains(alias)) {
      fail("models." + id + ".aliases", "\"" + alias + "\" is already a model id");
    }
  }
  for (const auto& [id, price] : overrides.models_) {
    models_.insert_or_assign(id, price);
    aliases_.erase(id);  // an entry of its own now
  }
  for (const auto& [alias, id] : overrides.aliases_) aliases_.insert_or_assign(alias, id);
}

const model_price* price_table::exact(std::string_view id) const {
  if (const auto it = models_.find(id); it != models_.end()) return &it->second;
  if (const auto it = aliases_.find(id); it != aliases_.end()) {
    return &models_.find(it->second)->second;  // aliases always name an entry
  }
  return nullptr;
}

const model_price* price_table::find(std::string_view model) const {
  if (const auto* price = exact(model)) return price;
  for (auto cut = model.find_last_of("-@"); cut != std::string_view::npos && cut > 0;
       cut = model.find_last_of("-@", cut - 1)) {
    if (const auto* price = exact(model.substr(0, cut))) return price;
  }
  return nullptr;
}

std::optional<double> price_table::cost_usd(const usage_result& usage) const { return cost_usd(usage.model, usage); }

std::optional<double> price_table::cost_usd(std::string_view model, const usage_result& usage) const {
  if (!usage.saw_usage) return std::nullopt;
  const auto* price = find(model);
  if (price == nullptr) return std::nullopt;
  return usage::cost_usd(*price, usage);
}

}  // namespace passgate::usage

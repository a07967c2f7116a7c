#include "store/columns.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <stdexcept>

namespace passgate::store {

void check_page(page p) {
  if (p.offset < 0 || p.limit <= 0)
    throw std::invalid_argument("store: page needs offset >= 0 and limit > 0");
}

std::string routes_to_json(const std::vector<std::string>& routes) {
  boost::json::array a;
  for (const auto& r : routes) a.emplace_back(r);
  return boost::json::serialize(a);
}

std::string labels_to_json(const policy::label_set& labels) {
  boost::json::array a;
  for (auto l : policy::all_labels)
    if (labels.contains(l)) a.emplace_back(policy::to_string(l));
  return boost::json::serialize(a);
}

std::vector<std::string> json_strings(const std::string& text, const std::string& key_id,
                                      const char* column, const std::string& db) {
  auto fail = [&]() -> std::runtime_error {
    return std::runtime_error(db + ": key " + key_id + ": column " + column +
                              " is not a JSON array of strings");
  };
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) throw fail();
  std::vector<std::string> out;
  for (const auto& e : v.get_array()) {
    if (!e.is_string()) throw fail();
    out.emplace_back(e.get_string());
  }
  return out;
}

policy::label_set labels_from_json(const std::string& text, const std::string& key_id,
                                   const std::string& db, const char* column) {
  policy::label_set labels;
  for (const auto& name : json_strings(text, key_id, column, db)) {
    auto l = policy::label_from_string(name);
    if (!l)
      throw std::runtime_error(db + ": key " + key_id + ": unknown credential label '" + name +
                               "'");
    labels.add(*l);
  }
  return labels;
}

}  // namespace passgate::store

#pragma once
// How a key's list fields are stored, the same in every backend: JSON arrays of
// strings as text, so a database can be copied from one backend to another and
// read by hand.
#include <string>
#include <vector>

#include "policy/credential_label.hpp"

namespace passgate::store {

std::string routes_to_json(const std::vector<std::string>& routes);
std::string labels_to_json(const policy::label_set& labels);

// Throw std::runtime_error naming `db` ("sqlite FILE", "postgres HOST:PORT/DB"),
// the key and the column when the text is not what the store wrote.
std::vector<std::string> json_strings(const std::string& text, const std::string& key_id,
                                      const char* column, const std::string& db);
policy::label_set labels_from_json(const std::string& text, const std::string& key_id,
                                   const std::string& db, const char* column);

}  // namespace passgate::store

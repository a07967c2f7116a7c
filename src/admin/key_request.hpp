#pragma once
// JSON request bodies of the /key/* endpoints → typed requests. Strict: malformed
// JSON, a body that is not an object, an unknown field or a value of the wrong
// type is a 400 problem naming the field and the type expected. An empty body
// reads as {}.
#include <string>
#include <string_view>
#include <vector>

#include "admin/key_fields.hpp"
#include "admin/problem.hpp"

namespace passgate::admin {

// POST /key/generate
result<key_fields> parse_generate_body(std::string_view body);

// POST /key/update: key_id and any settable field.
struct update_request {
  std::string key_id;
  key_fields fields;
};
result<update_request> parse_update_body(std::string_view body);

// POST /key/delete: full keys and/or key ids; at least one entry in all.
struct delete_request {
  std::vector<std::string> keys;
  std::vector<std::string> key_ids;
};
inline constexpr std::size_t max_delete_entries = 1000;
result<delete_request> parse_delete_body(std::string_view body);

// The text of a metadata object (the CLI's --metadata), re-serialised; a 400
// problem if it is not a JSON object.
result<std::string> parse_metadata_text(std::string_view text, std::string_view what = "metadata");

}  // namespace passgate::admin

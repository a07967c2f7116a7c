#include "usage/gemini_usage.hpp"
#include "usage/json_document.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

namespace passgate::usage {
namespace {

namespace json = boost::json;
using namespace json_document;

// A Google API error: {"code":429,"message":"…","status":"RESOURCE_EXHAUSTED",
// "details":[…]}. Its status, else its numeric code; an error that names
// neither is still an error.
void apply_error(const json::object& e, usage_result& out) {
  if (const auto status = row_text(member(e, "status")); !status.empty()) {
    assign_capped(out.error_type, status, usage_result::max_error_type_chars);
    return;
  }
  if (const auto code = count_member(&e, "code")) {
    char digits[24];
    out.error_type.assign(digits, std::to_chars(digits, digits + sizeof digits, *code).ptr);
    return;
  }
  out.error_type = "error";
}

// usageMetadata: promptTokenCount includes the cached content; tool-use
// prompts and thoughts are counted apart from prompt and candidates.
void apply_usage(const json::object& u, usage_result& out) {
  const auto prompt = count_member(&u, "promptTokenCount");
  const auto cached = count_member(&u, "cachedContentTokenCount");
  const auto tool_prompt = count_member(&u, "toolUsePromptTokenCount");
  const auto candidates = count_member(&u, "candidatesTokenCount");
  const auto thoughts = count_member(&u, "thoughtsTokenCount");

  set_count(out.cache_read_input_tokens, cached, out);
  if (prompt) {
    // Without a cached count here, the one already in the row (if any) is
    // taken, so that input + cache read stays the prompt.
    const std::int64_t read = cached ? *cached : out.cache_read_input_tokens.value_or(0);
    set_count(out.input_tokens, saturating_add(std::max<std::int64_t>(0, *prompt - read), tool_prompt.value_or(0)),
              out);
  }
  if (candidates || thoughts) {
    set_count(out.output_tokens, saturating_add(candidates.value_or(0), thoughts.value_or(0)), out);
  }
}

// One GenerateContentResponse (or an error body) read into the row.
void apply_response(const json::object& response, usage_result& out) {
  take_model(member(response, "modelVersion"), out);
  if (const auto* u = object_member(response, "usageMetadata")) apply_usage(*u, out);
  if (const auto* e = object_member(response, "error")) apply_error(*e, out);
}

bool wants_event(std::string_view name) { return name.empty(); }

bool apply_stream_event(std::string_view name, std::string_view data, usage_result& out) {
  if (!name.empty()) return true;
  // Once the model is known, a chunk with neither usage nor an error is
  // passed over without a parse.
  if (!out.model.empty() && !has_object_member(data, "\"usageMetadata\"") && !has_object_member(data, "\"error\"")) {
    return true;
  }
  const json::value* root = parse_value(data);
  const json::object* response = root ? root->if_object() : nullptr;
  if (!response) return false;
  apply_response(*response, out);
  return true;
}

// Every chunk carries usageMetadata, after its candidates: a chunk cut at the
// cap (inline image data, say) has lost it, whatever its first bytes.
bool may_carry_usage(std::string_view name, std::string_view /*data_prefix*/) { return name.empty(); }

bool wants_member(std::string_view key) {
  return key == "modelVersion" || key == "usageMetadata" || key == "error";
}

bool apply_answer_member(std::string_view key, std::string_view raw_value, usage_result& out) {
  const json::value* value = parse_value(raw_value);
  if (!value) return false;
  if (key == "modelVersion") {
    take_model(value, out);
  } else if (key == "usageMetadata") {
    if (const auto* u = value->if_object()) apply_usage(*u, out);
  } else if (key == "error") {
    if (const auto* e = value->if_object()) apply_error(*e, out);
  }
  return true;
}

}  // namespace

const usage_dialect& gemini_dialect() {
  static constexpr usage_dialect dialect{
      "gemini", &wants_event, &apply_stream_event, &may_carry_usage, &wants_member, &apply_answer_member,
  };
  return dialect;
}

}  // namespace passgate::usage

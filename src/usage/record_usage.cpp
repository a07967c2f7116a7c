#include "usage/record_usage.hpp"

#include "usage/attribution.hpp"

namespace passgate::usage {

pricing record_usage(spend_record& row, const usage_result& seen, const price_table& prices,
                     std::string_view path_model) {
  // The answer's own words: bounded and printable like every attributed field
  // (a model name is indexed in the stores' sums).
  const std::string_view model = seen.model.empty() ? path_model : std::string_view(seen.model);
  if (model.size() <= max_field_bytes && !seen.model.empty()) row.model.assign(model);
  else row.model = clean_field(model);  // long, or from the caller's path
  row.input_tokens = seen.input_tokens;
  row.output_tokens = seen.output_tokens;
  row.cache_creation_input_tokens = seen.cache_creation_input_tokens;
  row.cache_read_input_tokens = seen.cache_read_input_tokens;
  row.cost_usd.reset();
  if (!seen.saw_usage) return pricing::no_usage;
  if (row.status < 200 || row.status >= 300 || !seen.output_tokens) return pricing::not_billable;
  row.cost_usd = prices.cost_usd(model, seen);
  return row.cost_usd ? pricing::priced : pricing::unknown_model;
}

}  // namespace passgate::usage

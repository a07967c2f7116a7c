#pragma once
// From what the tap saw to the spend row's tokens and cost.
#include <string_view>

#include "usage/prices.hpp"
#include "usage/spend_record.hpp"
#include "usage/usage_result.hpp"

namespace passgate::usage {

enum class pricing { priced, not_billable, unknown_model, no_usage };

// Copies model and token counts into `row` and sets cost_usd when the request is
// billable: a 2xx answer that generated output (count-tokens and model-list calls
// are recorded with their tokens and no cost). An unknown model leaves the cost
// null, never 0. `path_model`: the model the request's path named (Bedrock's
// /model/{id}/…), used when the answer names none.
pricing record_usage(spend_record& row, const usage_result& seen, const price_table& prices,
                     std::string_view path_model = {});

}  // namespace passgate::usage

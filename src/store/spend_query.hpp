#pragma once
// The SQL of spend reads, built once for both backends: which filter becomes
// which condition, when the daily sums can answer a report, keyset paging. Only
// the few expressions that differ (dates, aggregates, placeholders) depend on
// the dialect, so SQLite and PostgreSQL answer the same query the same way.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "store/store.hpp"

namespace passgate::store::sql {

enum class dialect { sqlite, postgres };

struct query {
  std::string text;
  std::vector<std::variant<std::int64_t, std::string>> params;  // $1/?1 first
};

// Rows newest first (started_at_ms, then id), the filter's conditions, paged by
// `page` (offset and limit) or, with f.before / f.after, by keyset. Selects
// spend_select_columns.
query spend_logs(dialect d, const spend_filter& f, page p);

// Selects the group, the split (or ''), then requests, the four token sums,
// cost and unpriced requests; ordered by group and split.
query spend_report(dialect d, const spend_filter& f, spend_group g, std::optional<spend_group> split);

// Whether the daily sums table can answer the report exactly.
bool daily_sums_answer(const spend_filter& f, spend_group g, std::optional<spend_group> split);

// "YYYY-MM-DD" of a unix millisecond time (UTC).
std::string utc_day(std::int64_t ms);

}  // namespace passgate::store::sql

#include "store/spend_query.hpp"

#include <ctime>
#include <stdexcept>

#include "store/columns.hpp"

namespace passgate::store::sql {
namespace {

constexpr std::int64_t ms_per_day = 86'400'000;

class builder {
 public:
  explicit builder(dialect d) : d_(d) {}
  // The next placeholder, its value added.
  std::string bind(std::variant<std::int64_t, std::string> v) {
    q_.params.push_back(std::move(v));
    return (d_ == dialect::sqlite ? "?" : "$") + std::to_string(q_.params.size());
  }
  void where(const std::string& cond) {
    where_ += where_.empty() ? " WHERE " : " AND ";
    where_ += cond;
  }
  const std::string& where() const { return where_; }
  query& q() { return q_; }

 private:
  dialect d_;
  query q_;
  std::string where_;
};

// The time expressions: from started_at_ms (rows) or the day column (sums).
std::string day_of_row(dialect d) {
  return d == dialect::sqlite ? "strftime('%Y-%m-%d', started_at_ms / 1000, 'unixepoch')"
                              : "to_char(to_timestamp(floor(started_at_ms / 1000.0)) AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
}
std::string hour_of_row(dialect d) {
  return d == dialect::sqlite
             ? "strftime('%Y-%m-%dT%H:00Z', started_at_ms / 1000, 'unixepoch')"
             : "to_char(to_timestamp(floor(started_at_ms / 1000.0)) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24\":00Z\"')";
}

std::string group_expression(dialect d, spend_group g, bool daily) {
  switch (g) {
    case spend_group::key: return "key_id";
    case spend_group::model: return "model";
    case spend_group::credential: return "credential";
    case spend_group::end_user: return "end_user";
    case spend_group::session_id: return "session_id";
    case spend_group::client: return "client";
    case spend_group::day:
      if (!daily) return day_of_row(d);
      return d == dialect::sqlite ? "day" : "to_char(day, 'YYYY-MM-DD')";
    case spend_group::hour: return hour_of_row(d);
  }
  throw std::invalid_argument("store: unknown spend_group");
}

// The conditions both tables share (the sums keep these columns).
void dimension_filters(builder& b, const spend_filter& f) {
  if (f.key_id) b.where("key_id = " + b.bind(*f.key_id));
  if (f.model) b.where("model = " + b.bind(*f.model));
  if (f.credential) b.where("credential = " + b.bind(*f.credential));
  if (f.end_user) b.where("end_user = " + b.bind(*f.end_user));
  if (f.client) b.where("client = " + b.bind(*f.client));
}

void row_filters(builder& b, const spend_filter& f) {
  dimension_filters(b, f);
  if (f.session_id) b.where("session_id = " + b.bind(*f.session_id));
  if (f.status) b.where("status = " + b.bind(std::int64_t(*f.status)));
  if (f.outcome) b.where("outcome = " + b.bind(*f.outcome));
  if (f.from_ms) b.where("started_at_ms >= " + b.bind(*f.from_ms));
  if (f.to_ms) b.where("started_at_ms < " + b.bind(*f.to_ms));
}

bool served_by_sums(spend_group g) {
  return g != spend_group::hour && g != spend_group::session_id;
}

}  // namespace

std::string utc_day(std::int64_t ms) {
  std::time_t t = ms / 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

bool daily_sums_answer(const spend_filter& f, spend_group g, std::optional<spend_group> split) {
  auto whole_day = [](const std::optional<std::int64_t>& ms) { return !ms || *ms % ms_per_day == 0; };
  return !f.status && !f.outcome && !f.session_id && whole_day(f.from_ms) && whole_day(f.to_ms) &&
         served_by_sums(g) && (!split || served_by_sums(*split));
}

query spend_logs(dialect d, const spend_filter& f, page p) {
  builder b(d);
  row_filters(b, f);
  // Keyset: (started_at_ms, id) below or above the cursor's. Written so that the
  // time index bounds the scan (started_at_ms <= …) and the id only breaks ties.
  if (f.before) {
    auto t = b.bind(f.before->started_at_ms), id = b.bind(f.before->row_id);
    b.where("started_at_ms <= " + t + " AND (started_at_ms < " + t + " OR id < " + id + ")");
  }
  if (f.after) {
    auto t = b.bind(f.after->started_at_ms), id = b.bind(f.after->row_id);
    b.where("started_at_ms >= " + t + " AND (started_at_ms > " + t + " OR id > " + id + ")");
  }
  auto& q = b.q();
  q.text = "SELECT " + spend_columns + ", id FROM spend" + b.where() + " ORDER BY started_at_ms DESC, id DESC LIMIT " +
           b.bind(p.limit);
  if (!f.before && !f.after) q.text += " OFFSET " + b.bind(p.offset);
  return std::move(b.q());
}

query spend_report(dialect d, const spend_filter& f, spend_group g, std::optional<spend_group> split) {
  if (split && (*split == spend_group::day || *split == spend_group::hour))
    throw std::invalid_argument("store: a report splits by a dimension, not by time");
  const bool daily = daily_sums_answer(f, g, split);
  builder b(d);
  if (daily) {
    dimension_filters(b, f);
    const char* cast = d == dialect::sqlite ? "" : "::date";
    if (f.from_ms) b.where("day >= " + b.bind(utc_day(*f.from_ms)) + cast);
    if (f.to_ms) b.where("day < " + b.bind(utc_day(*f.to_ms)) + cast);
  } else {
    row_filters(b, f);
  }
  // COLLATE "C": PostgreSQL groups in byte order, as SQLite sorts them.
  const std::string collate = d == dialect::postgres ? " COLLATE \"C\"" : "";
  std::string text = "SELECT " + group_expression(d, g, daily) + collate + ", " +
                     (split ? group_expression(d, *split, daily) + collate : std::string("''")) + ", ";
  if (daily) {
    text += d == dialect::sqlite
                ? "SUM(requests), SUM(input_tokens), SUM(output_tokens), SUM(cache_creation_input_tokens), "
                  "SUM(cache_read_input_tokens), TOTAL(cost_usd), SUM(unpriced_requests) FROM spend_daily"
                : "sum(requests)::bigint, sum(input_tokens)::bigint, sum(output_tokens)::bigint, "
                  "sum(cache_creation_input_tokens)::bigint, sum(cache_read_input_tokens)::bigint, "
                  "COALESCE(sum(cost_usd), 0), sum(unpriced_requests)::bigint FROM spend_daily";
  } else {
    text += d == dialect::sqlite
                ? "COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
                  "COALESCE(SUM(cache_creation_input_tokens), 0), COALESCE(SUM(cache_read_input_tokens), 0), "
                  "TOTAL(cost_usd), SUM(cost_usd IS NULL) FROM spend"
                : "count(*), COALESCE(sum(input_tokens), 0)::bigint, COALESCE(sum(output_tokens), 0)::bigint, "
                  "COALESCE(sum(cache_creation_input_tokens), 0)::bigint, "
                  "COALESCE(sum(cache_read_input_tokens), 0)::bigint, COALESCE(sum(cost_usd), 0), "
                  "count(*) FILTER (WHERE cost_usd IS NULL) FROM spend";
  }
  b.q().text = text + b.where() + " GROUP BY 1, 2 ORDER BY 1, 2";
  return std::move(b.q());
}

}  // namespace passgate::store::sql

#include "store/spend_query.hpp"

#include <ctime>
#include <limits>
#include <stdexcept>

#include "limits/budget_period.hpp"
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
  void where(const std::string& cond) { add(where_, cond); }
  const std::string& where() const { return where_; }
  query& q() { return q_; }

  // A second WHERE clause in the same text: its placeholders continue the
  // builder's numbering.
  class conditions {
   public:
    explicit conditions(builder& b) : b_(b) {}
    std::string bind(std::variant<std::int64_t, std::string> v) { return b_.bind(std::move(v)); }
    void where(const std::string& cond) { add(text_, cond); }
    const std::string& text() const { return text_; }

   private:
    builder& b_;
    std::string text_;
  };

 private:
  static void add(std::string& w, const std::string& cond) {
    w += w.empty() ? " WHERE " : " AND ";
    w += cond;
  }
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

// The conditions every table shares (the sums keep these columns).
template <class Conditions>
void dimension_filters(Conditions& b, const spend_filter& f) {
  if (f.key_id) b.where("key_id = " + b.bind(*f.key_id));
  if (f.model) b.where("model = " + b.bind(*f.model));
  if (f.credential) b.where("credential = " + b.bind(*f.credential));
  // "<> ''" written out: it is the condition of the partial index on the rows
  // (the planner cannot see it in a bound value), and true of any non-empty one.
  if (f.end_user) b.where("end_user = " + b.bind(*f.end_user) + (f.end_user->empty() ? "" : " AND end_user <> ''"));
  if (f.client) b.where("client = " + b.bind(*f.client));
}

void row_filters(builder& b, const spend_filter& f) {
  dimension_filters(b, f);
  if (f.session_id)
    b.where("session_id = " + b.bind(*f.session_id) + (f.session_id->empty() ? "" : " AND session_id <> ''"));
  if (f.status) b.where("status = " + b.bind(std::int64_t(*f.status)));
  if (f.outcome) b.where("outcome = " + b.bind(*f.outcome));
  if (f.provider) b.where("provider = " + b.bind(*f.provider));
  if (f.route) b.where("route = " + b.bind(*f.route));
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
  return !f.status && !f.outcome && !f.session_id && !f.provider && !f.route && whole_day(f.from_ms) && whole_day(f.to_ms) &&
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

namespace {

// The UTC month that contains ms: budgets already compute calendar months.
limits::period_window month_of(std::int64_t ms) {
  return limits::window_at(limits::budget_period{limits::budget_period::kind::month}, ms);
}

// The sums' columns, summed (sums tables) or computed from rows.
std::string sums_of_sums(dialect d) {
  return d == dialect::sqlite
             ? "SUM(requests), SUM(input_tokens), SUM(output_tokens), SUM(cache_creation_input_tokens), "
               "SUM(cache_read_input_tokens), TOTAL(cost_usd), SUM(unpriced_requests)"
             : "sum(requests)::bigint, sum(input_tokens)::bigint, sum(output_tokens)::bigint, "
               "sum(cache_creation_input_tokens)::bigint, sum(cache_read_input_tokens)::bigint, "
               "COALESCE(sum(cost_usd), 0), sum(unpriced_requests)::bigint";
}
std::string sums_of_rows(dialect d) {
  return d == dialect::sqlite
             ? "COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
               "COALESCE(SUM(cache_creation_input_tokens), 0), COALESCE(SUM(cache_read_input_tokens), 0), "
               "TOTAL(cost_usd), SUM(cost_usd IS NULL)"
             : "count(*), COALESCE(sum(input_tokens), 0)::bigint, COALESCE(sum(output_tokens), 0)::bigint, "
               "COALESCE(sum(cache_creation_input_tokens), 0)::bigint, "
               "COALESCE(sum(cache_read_input_tokens), 0)::bigint, COALESCE(sum(cost_usd), 0), "
               "count(*) FILTER (WHERE cost_usd IS NULL)";
}

constexpr const char* sum_columns =
    "key_id, model, credential, end_user, client, requests, input_tokens, output_tokens, "
    "cache_creation_input_tokens, cache_read_input_tokens, cost_usd, unpriced_requests";

}  // namespace

query spend_report(dialect d, const spend_filter& f, spend_group g, std::optional<spend_group> split) {
  if (split && (*split == spend_group::day || *split == spend_group::hour))
    throw std::invalid_argument("store: a report splits by a dimension, not by time");
  builder b(d);
  // COLLATE "C": PostgreSQL groups in byte order, as SQLite sorts them.
  const std::string collate = d == dialect::postgres ? " COLLATE \"C\"" : "";
  const bool from_sums = daily_sums_answer(f, g, split);
  const std::string head = "SELECT " + group_expression(d, g, from_sums) + collate + ", " +
                           (split ? group_expression(d, *split, from_sums) + collate : std::string("''")) + ", ";
  const std::string tail = " GROUP BY 1, 2 ORDER BY 1, 2";
  if (!from_sums) {
    row_filters(b, f);
    b.q().text = head + sums_of_rows(d) + " FROM spend" + b.where() + tail;
    return std::move(b.q());
  }

  // Whole UTC months inside the range, [m1, m2), come from the monthly sums and
  // the days around them from the daily sums: a year is 12 rows per key, model,
  // credential, end user and client instead of 365. Not for a report by day.
  std::int64_t m1 = std::numeric_limits<std::int64_t>::min(), m2 = std::numeric_limits<std::int64_t>::max();
  if (f.from_ms) {
    const auto m = month_of(*f.from_ms);
    m1 = m.start_ms == *f.from_ms ? m.start_ms : *m.reset_ms;
  }
  if (f.to_ms) m2 = month_of(*f.to_ms).start_ms;
  const char* date = d == dialect::sqlite ? "" : "::date";
  auto day_range = [&](std::optional<std::int64_t> from, std::optional<std::int64_t> to) {
    std::string c;
    if (from) c += "day >= " + b.bind(utc_day(*from)) + date;
    if (to) c += std::string(c.empty() ? "" : " AND ") + "day < " + b.bind(utc_day(*to)) + date;
    return c.empty() ? std::string("1 = 1") : c;
  };
  if (g == spend_group::day || m1 >= m2) {
    dimension_filters(b, f);
    if (f.from_ms || f.to_ms) b.where(day_range(f.from_ms, f.to_ms));
    b.q().text = head + sums_of_sums(d) + " FROM spend_daily" + b.where() + tail;
    return std::move(b.q());
  }
  // The days: before m1 (from the range's start) and from m2 (to its end).
  dimension_filters(b, f);
  std::vector<std::string> parts;
  if (f.from_ms && *f.from_ms < m1) parts.push_back(day_range(f.from_ms, m1));
  if (f.to_ms && m2 < *f.to_ms) parts.push_back(day_range(m2, f.to_ms));
  b.where(parts.empty() ? "1 = 0" : parts.size() == 1 ? parts[0] : "((" + parts[0] + ") OR (" + parts[1] + "))");
  const std::string days_where = b.where();
  // The months: the same dimensions, then the month range (placeholders go on).
  builder::conditions months(b);
  dimension_filters(months, f);
  auto month_of = [&](std::int64_t ms) { return d == dialect::sqlite ? utc_day(ms).substr(0, 7) : utc_day(ms); };
  if (f.from_ms) months.where("month >= " + b.bind(month_of(m1)) + date);
  if (f.to_ms) months.where("month < " + b.bind(month_of(m2)) + date);
  b.q().text = head + sums_of_sums(d) + " FROM (SELECT " + sum_columns + " FROM spend_daily" + days_where +
               " UNION ALL SELECT " + sum_columns + " FROM spend_monthly" + months.text() + ") AS sums" + tail;
  return std::move(b.q());
}

}  // namespace passgate::store::sql

// The console's queries on a big store: generates N spend rows (default 10
// million) over a year into a SQLite file (or a PostgreSQL database), then times
// each report and log query the console makes, through the store interface the
// admin API uses. Not a test: run by hand or by bench/store.sh.
//
//   spend_store_bench [--rows N] [--sqlite FILE | --postgres URL] [--reuse]
//
// The rows look like a team's: 200 keys, each used by one person (40 people, a
// few keys each), mostly from one client and with one or two models, on one
// credential kind; sessions of about 40 requests; a busy working day.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace {

using namespace passgate;
using clock_type = std::chrono::steady_clock;

constexpr std::int64_t day_ms = 86'400'000;

struct rng {
  std::uint64_t s = 0x9E3779B97F4A7C15ull;
  std::uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
};

const char* models[] = {"claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-1-20250805"};
const char* credentials[] = {"server", "oauth", "byok"};
const char* clients[] = {"claude-cli/2.1.3", "Anthropic/JS 0.60.0", "Anthropic/Python 0.49.0", "claude-cli/2.0.9"};

std::vector<usage::spend_record> make_batch(rng& r, std::int64_t first, std::int64_t count, std::int64_t total,
                                            std::int64_t start_ms) {
  std::vector<usage::spend_record> rows;
  rows.reserve(std::size_t(count));
  for (std::int64_t i = first; i < first + count; ++i) {
    usage::spend_record row;
    const int key = int(r.below(200));
    row.request_id = "req_" + std::to_string(i);
    // Spread evenly over the year, in order (as a fleet writes them).
    row.started_at_ms = start_ms + (i * 365 * day_ms) / total + std::int64_t(r.below(1000));
    row.duration_ms = 200 + std::int64_t(r.below(20000));
    row.ttfb_ms = 100 + std::int64_t(r.below(900));
    row.key_id = "key_" + std::to_string(key);
    row.key_alias = "alias-" + std::to_string(key);
    row.route = "anthropic";
    row.path = "/v1/messages";
    row.method = "POST";
    row.status = r.below(50) ? 200 : 529;
    row.model = models[(key + (r.below(4) == 0 ? 1 : 0)) % 3];
    row.credential = credentials[key % 3];
    row.input_tokens = std::int64_t(r.below(20000));
    row.output_tokens = std::int64_t(r.below(2000));
    row.cache_creation_input_tokens = std::int64_t(r.below(5000));
    row.cache_read_input_tokens = std::int64_t(r.below(50000));
    row.cost_usd = double(r.below(100000)) / 1e6;
    row.outcome = row.status == 200 ? "ok" : "upstream_error";
    row.end_user = "account-" + std::to_string(key % 40);
    row.session_id = "session-" + std::to_string(i / 40);
    row.agent_id = "";
    row.client = clients[key % 4];
    rows.push_back(std::move(row));
  }
  return rows;
}

double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t total = 10'000'000;
  std::string sqlite = "/tmp/passgate-spend-bench.db", postgres;
  bool reuse = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rows" && i + 1 < argc) total = std::atoll(argv[++i]);
    else if (a == "--sqlite" && i + 1 < argc) sqlite = argv[++i];
    else if (a == "--postgres" && i + 1 < argc) postgres = argv[++i];
    else if (a == "--reuse") reuse = true;
    else {
      std::cerr << "usage: spend_store_bench [--rows N] [--sqlite FILE | --postgres URL] [--reuse]\n";
      return 2;
    }
  }
  if (postgres.empty() && !reuse) std::remove(sqlite.c_str());
  auto st = postgres.empty() ? store::open_sqlite(sqlite) : store::open_postgres(postgres);
  std::cout << "store: " << st->describe() << "\n";

  // Jan 1st of a year that ends at the newest row.
  const std::int64_t start_ms = 1'735'689'600'000;  // 2025-01-01T00:00:00Z
  const std::int64_t end_ms = start_ms + 365 * day_ms;
  if (!reuse) {
    rng r;
    auto t = clock_type::now();
    const std::int64_t batch = 10'000;
    for (std::int64_t i = 0; i < total; i += batch) {
      st->insert_spend(make_batch(r, i, std::min(batch, total - i), total, start_ms));
      if ((i / batch) % 100 == 99)
        std::cerr << "  " << (i + batch) << " rows, " << ms_since(t) / 1000 << " s\n";
    }
    std::cout << "generated " << total << " rows in " << ms_since(t) / 1000 << " s\n";
  }

  // Each query as the console makes it; the best of 5 runs and the first (cold) run.
  struct timing {
    std::string what;
    double first_ms, best_ms;
    std::size_t rows;
  };
  std::vector<timing> out;
  auto time = [&](const std::string& what, const std::function<std::size_t()>& f) {
    double first = 0, best = 1e18;
    std::size_t n = 0;
    for (int k = 0; k < 5; ++k) {
      auto t = clock_type::now();
      n = f();
      double ms = ms_since(t);
      if (k == 0) first = ms;
      best = std::min(best, ms);
    }
    out.push_back({what, first, best, n});
  };
  using g = store::spend_group;
  auto range = [&](int days) {
    store::spend_filter f;
    f.from_ms = end_ms - days * day_ms;
    f.to_ms = end_ms;
    return f;
  };
  time("report by day, split by credential, 30 days (Overview chart)",
       [&] { return st->spend_report(range(30), g::day, g::credential).size(); });
  time("report by day, split by model, 30 days", [&] { return st->spend_report(range(30), g::day, g::model).size(); });
  time("report by key, 7 days (top keys)", [&] { return st->spend_report(range(7), g::key).size(); });
  time("report by end user, 30 days (top end users)", [&] { return st->spend_report(range(30), g::end_user).size(); });
  time("report by client, 30 days (top clients)", [&] { return st->spend_report(range(30), g::client).size(); });
  time("report by key, whole year", [&] { return st->spend_report(range(365), g::key).size(); });
  time("report by hour, split by credential, last 48 h",
       [&] { return st->spend_report(range(2), g::hour, g::credential).size(); });
  time("report by day, one key, 30 days", [&] {
    auto f = range(30);
    f.key_id = "key_7";
    return st->spend_report(f, g::day).size();
  });
  time("logs, newest 50", [&] { return st->spend_logs({}, {0, 51}).size(); });
  store::spend_cursor deep{};
  {
    // The newest row older than 30 days: a cursor deep in the log, as "Older"
    // clicked thousands of times would reach.
    store::spend_filter f;
    f.to_ms = end_ms - 30 * day_ms;
    auto rows = st->spend_logs(f, {0, 1});
    if (!rows.empty()) deep = {rows[0].started_at_ms, rows[0].row_id};
  }
  time("logs, 50 older than a cursor 30 days back (keyset)", [&] {
    store::spend_filter f;
    f.before = deep;
    return st->spend_logs(f, {0, 51}).size();
  });
  time("logs, one key, newest 50", [&] {
    store::spend_filter f;
    f.key_id = "key_7";
    return st->spend_logs(f, {0, 51}).size();
  });
  time("logs, one end user, newest 50", [&] {
    store::spend_filter f;
    f.end_user = "account-7";
    return st->spend_logs(f, {0, 51}).size();
  });
  time("logs, one session", [&] {
    store::spend_filter f;
    f.session_id = "session-1000";
    return st->spend_logs(f, {0, 51}).size();
  });
  time("logs, live tail: newer than the newest (nothing new)", [&] {
    store::spend_filter f;
    auto newest = st->spend_logs({}, {0, 1});
    if (!newest.empty()) f.after = store::spend_cursor{newest[0].started_at_ms, newest[0].row_id};
    return st->spend_logs(f, {0, 51}).size();
  });

  std::cout << "\n| query | first run | best of 5 | rows |\n|---|---|---|---|\n";
  double worst = 0;
  for (const auto& t : out) {
    std::printf("| %s | %.1f ms | %.1f ms | %zu |\n", t.what.c_str(), t.first_ms, t.best_ms, t.rows);
    worst = std::max(worst, t.first_ms);
  }
  std::printf("\nslowest first run: %.1f ms (%s 100 ms)\n", worst, worst < 100 ? "under" : "OVER");
  return 0;
}

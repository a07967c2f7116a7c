// Reports read from the daily and monthly sums equal reports computed from the
// rows themselves, for ranges that start and end inside months, on month
// boundaries, open on either side, and for every grouping and split the sums
// serve. The expected figures are summed here, in C++, from the rows written.
#include <gtest/gtest.h>

#include <iostream>
#include <map>

#include "store/store.hpp"
#include "unit/store/temp_db_file.hpp"

namespace passgate::store {
namespace {

constexpr std::int64_t day_ms = 86'400'000;
constexpr std::int64_t jan1 = 1'704'067'200'000;  // 2024-01-01T00:00:00Z
constexpr std::int64_t feb1 = jan1 + 31 * day_ms;
constexpr std::int64_t mar1 = feb1 + 29 * day_ms;  // 2024 is a leap year
constexpr std::int64_t apr1 = mar1 + 31 * day_ms;
constexpr std::int64_t may1 = apr1 + 30 * day_ms;

const char* keys[] = {"key_a", "key_b", "key_c"};
const char* users[] = {"alice", "bob"};
const char* clients[] = {"claude-cli/2.1.3", "Anthropic/JS 0.60.0"};

// A row every 7 hours from Jan 10 to Apr 25: crosses every month boundary.
std::vector<usage::spend_record> rows() {
  std::vector<usage::spend_record> out;
  int n = 0;
  for (std::int64_t t = jan1 + 9 * day_ms; t < apr1 + 25 * day_ms; t += 7 * 3'600'000, ++n) {
    usage::spend_record r;
    r.request_id = "req_" + std::to_string(n);
    r.started_at_ms = t;
    r.key_id = keys[n % 3];
    r.model = n % 4 ? "claude-sonnet" : "claude-haiku";
    r.credential = n % 5 ? "server" : "oauth";
    r.end_user = users[n % 2];
    r.client = clients[(n / 3) % 2];
    r.status = 200;
    r.outcome = "ok";
    r.input_tokens = n;
    r.output_tokens = 2 * n;
    if (n % 6) r.cost_usd = n * 0.001;
    out.push_back(r);
  }
  return out;
}

std::string dimension(const usage::spend_record& r, spend_group g) {
  switch (g) {
    case spend_group::key: return r.key_id;
    case spend_group::model: return r.model;
    case spend_group::credential: return r.credential;
    case spend_group::end_user: return r.end_user;
    case spend_group::client: return r.client;
    default: return "";
  }
}

struct sums {
  std::int64_t requests = 0, input = 0, output = 0, unpriced = 0;
  double cost = 0;
};

// (group, split) → sums, from the rows in [from, to).
std::map<std::pair<std::string, std::string>, sums> expected(const std::vector<usage::spend_record>& all,
                                                              const spend_filter& f, spend_group g,
                                                              std::optional<spend_group> split) {
  std::map<std::pair<std::string, std::string>, sums> out;
  for (const auto& r : all) {
    if (f.from_ms && r.started_at_ms < *f.from_ms) continue;
    if (f.to_ms && r.started_at_ms >= *f.to_ms) continue;
    if (f.key_id && r.key_id != *f.key_id) continue;
    if (f.end_user && r.end_user != *f.end_user) continue;
    auto& s = out[{dimension(r, g), split ? dimension(r, *split) : ""}];
    ++s.requests;
    s.input += r.input_tokens.value_or(0);
    s.output += r.output_tokens.value_or(0);
    if (r.cost_usd) s.cost += *r.cost_usd;
    else ++s.unpriced;
  }
  return out;
}

TEST(spend_sums, month_and_day_sums_equal_the_rows_for_every_range) {
  std::cout << "  checks: reports over ranges that start and end inside months, on month boundaries, open on "
               "either side, with filters, grouped and split every way the sums serve, equal the rows' sums\n";
  test::temp_db_file file;
  auto db = open_sqlite(file.path());
  auto all = rows();
  for (std::size_t i = 0; i < all.size(); i += 50)
    db->insert_spend(std::vector<usage::spend_record>(all.begin() + i, all.begin() + std::min(all.size(), i + 50)));
  std::vector<spend_filter> filters = {
      {},
      {.from_ms = jan1 + 15 * day_ms, .to_ms = apr1 + 10 * day_ms},  // inside months at both ends
      {.from_ms = feb1, .to_ms = apr1},                              // whole months only
      {.from_ms = feb1 + 3 * day_ms},                                // open end
      {.to_ms = mar1 + 20 * day_ms},                                 // open start
      {.from_ms = feb1 + 2 * day_ms, .to_ms = feb1 + 20 * day_ms},   // within one month
      {.from_ms = jan1 + 20 * day_ms, .to_ms = mar1},                // ends on a boundary
      {.from_ms = feb1, .to_ms = may1 + 10 * day_ms},                // starts on one
  };
  filters.push_back(filters[1]);
  filters.back().key_id = "key_b";
  filters.push_back(filters[3]);
  filters.back().end_user = "alice";
  int checked = 0;
  for (auto g : {spend_group::key, spend_group::model, spend_group::credential, spend_group::end_user,
                 spend_group::client}) {
    for (std::optional<spend_group> split : {std::optional<spend_group>(), std::optional(spend_group::credential),
                                             std::optional(spend_group::client)}) {
      for (std::size_t i = 0; i < filters.size(); ++i) {
        SCOPED_TRACE("group " + std::to_string(int(g)) + " split " + std::to_string(split ? int(*split) : -1) +
                     " filter " + std::to_string(i));
        auto want = expected(all, filters[i], g, split);
        auto got = db->spend_report(filters[i], g, split);
        ASSERT_EQ(got.size(), want.size());
        for (const auto& row : got) {
          auto it = want.find({row.group, row.split});
          ASSERT_NE(it, want.end()) << row.group << "/" << row.split;
          EXPECT_EQ(row.requests, it->second.requests);
          EXPECT_EQ(row.input_tokens, it->second.input);
          EXPECT_EQ(row.output_tokens, it->second.output);
          EXPECT_EQ(row.unpriced_requests, it->second.unpriced);
          EXPECT_NEAR(row.cost_usd, it->second.cost, 1e-9);
        }
        ++checked;
      }
    }
  }
  std::cout << "  " << checked << " reports compared\n";
}

}  // namespace
}  // namespace passgate::store

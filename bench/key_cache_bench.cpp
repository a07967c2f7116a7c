// key_cache::find on the request path: a hit among 10k keys, a miss (the
// negative-cache path a flood of bad keys takes), and the SHA-256 alone.
#include <benchmark/benchmark.h>

#include "auth/key_cache.hpp"
#include "auth/key_format.hpp"

namespace {

using namespace passgate::auth;

constexpr int key_count = 10000;

struct fixture {
  std::vector<std::string> keys;
  std::unique_ptr<key_cache> cache;

  fixture() {
    std::vector<key_record> records;
    for (int i = 0; i < key_count; ++i) {
      keys.push_back(generate_key());
      key_record r;
      r.key_id = generate_key_id();
      r.key_hash = hash_key(keys.back());
      records.push_back(std::move(r));
    }
    cache = std::make_unique<key_cache>(nullptr, std::move(records));
  }
};

fixture& shared_fixture() {
  static fixture f;
  return f;
}

void bm_find_hit(benchmark::State& state) {
  auto& f = shared_fixture();
  std::size_t i = std::size_t(state.thread_index()) * 997;
  for (auto _ : state) {
    auto r = f.cache->find(f.keys[i++ % key_count]);
    if (!r) state.SkipWithError("hit expected");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(bm_find_hit)->Threads(1)->Threads(2);

void bm_find_miss(benchmark::State& state) {
  auto& f = shared_fixture();
  const std::string unknown = generate_key();
  for (auto _ : state) {
    auto r = f.cache->find(unknown);
    if (r) state.SkipWithError("miss expected");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(bm_find_miss)->Threads(1)->Threads(2);

void bm_hash_key(benchmark::State& state) {
  const std::string key = generate_key();
  std::array<char, 64> hex;
  for (auto _ : state) {
    hash_key(key, hex);
    benchmark::DoNotOptimize(hex);
  }
}
BENCHMARK(bm_hash_key);

}  // namespace

#include "auth/key_cache.hpp"

#include <pthread.h>

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "store/store.hpp"

namespace passgate::auth {

namespace detail {

struct digest_hash {
  // SHA-256 output is uniform: its first bytes are a good hash already.
  std::size_t operator()(const key_digest& d) const {
    std::size_t h;
    std::memcpy(&h, d.data(), sizeof h);
    return h;
  }
};

struct digest_equal {
  bool operator()(const key_digest& a, const key_digest& b) const {
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
  }
};

class key_snapshot {
 public:
  // Each record is its own shared_ptr so that a lookup bumps the refcount of the
  // record it returns, not one count shared by every lookup.
  std::unordered_map<key_digest, std::shared_ptr<const key_record>, digest_hash, digest_equal>
      by_digest;
};

}  // namespace detail

namespace {

constexpr std::int64_t list_page_size = 1000;

std::atomic<std::uint64_t> next_cache_id{1};

// Each thread keeps the snapshot it last used. While the cache's generation is
// unchanged a lookup reads it with one atomic load: no lock, no refcount traffic.
// Ids, never reused, tell caches apart. A thread's slot keeps its last snapshot
// alive until that thread's next lookup.
struct reader_slot {
  std::uint64_t cache_id = 0;
  std::int64_t generation = 0;
  std::shared_ptr<const detail::key_snapshot> snapshot;
};
thread_local reader_slot this_thread_slot;

key_digest digest_of(const key_record& r) {
  auto d = parse_key_hash(r.key_hash);
  if (!d) throw std::invalid_argument("key cache: key " + r.key_id + " has a malformed key_hash");
  return *d;
}

}  // namespace

key_cache::key_cache(store::store* st, std::vector<key_record> static_keys,
                     key_cache_options opts)
    : store_(st),
      static_keys_(std::move(static_keys)),
      opts_(std::move(opts)),
      id_(next_cache_id.fetch_add(1)) {
  for (const auto& r : static_keys_) digest_of(r);  // validate before serving
  publish({});
}

key_cache::~key_cache() { stop(); }

void key_cache::start() {
  if (!store_ || thread_.joinable()) return;
  reload(true);
  {
    std::lock_guard lk(wake_mu_);
    stop_requested_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void key_cache::stop() {
  {
    std::lock_guard lk(wake_mu_);
    stop_requested_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void key_cache::invalidate() {
  {
    std::lock_guard lk(wake_mu_);
    reload_requested_ = true;
  }
  wake_.notify_one();
}

std::shared_ptr<const key_record> key_cache::find(std::string_view key) const {
  return find_digest(digest_key(key));
}

std::shared_ptr<const key_record> key_cache::find_by_hash(std::string_view hex_hash) const {
  auto d = parse_key_hash(hex_hash);
  return d ? find_digest(*d) : nullptr;
}

std::shared_ptr<const key_record> key_cache::find_digest(const key_digest& d) const {
  const auto& snap = current();
  auto it = snap.by_digest.find(d);
  if (it == snap.by_digest.end() || !it->second->usable_at(now())) return nullptr;
  return it->second;
}

const detail::key_snapshot& key_cache::current() const {
  auto& slot = this_thread_slot;
  if (slot.cache_id != id_ || slot.generation != generation_.load(std::memory_order_acquire)) {
    std::lock_guard lk(snapshot_mu_);
    slot.snapshot = snapshot_;
    slot.generation = generation_.load(std::memory_order_relaxed);
    slot.cache_id = id_;
  }
  return *slot.snapshot;
}

std::int64_t key_cache::now() const {
  if (opts_.now_unix) return opts_.now_unix();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<key_record> key_cache::load_stored_keys() const {
  std::vector<key_record> all;
  for (store::page p{0, list_page_size};; p.offset += p.limit) {
    auto page = store_->list_keys(p);
    std::int64_t n = std::int64_t(page.size());
    all.insert(all.end(), std::make_move_iterator(page.begin()),
               std::make_move_iterator(page.end()));
    if (n < p.limit) return all;
  }
}

void key_cache::publish(std::vector<key_record> stored) {
  auto snap = std::make_shared<detail::key_snapshot>();
  // Static keys first: on a hash in both, the config's record wins.
  for (const auto& r : static_keys_)
    snap->by_digest.emplace(digest_of(r), std::make_shared<const key_record>(r));
  std::size_t skipped = 0;
  for (auto& r : stored) {
    auto d = parse_key_hash(r.key_hash);
    if (!d) {
      ++skipped;
      continue;
    }
    // Revoked keys are left out (a lookup would refuse them anyway); expired ones
    // stay, since find() checks expiry against the clock.
    if (!r.revoked && !snap->by_digest.contains(*d))
      snap->by_digest.emplace(*d, std::make_shared<const key_record>(std::move(r)));
  }
  if (skipped) spdlog::warn("key cache: skipped {} stored keys with a malformed key_hash", skipped);

  // Before the records are live: what on_publish prepares for them (a budget's
  // spend) is in place by the first request that finds them.
  if (opts_.on_publish) {
    std::vector<std::shared_ptr<const key_record>> published;
    published.reserve(snap->by_digest.size());
    for (const auto& [d, rec] : snap->by_digest) published.push_back(rec);
    opts_.on_publish(published);
  }
  std::lock_guard lk(snapshot_mu_);
  snapshot_ = std::move(snap);
  generation_.fetch_add(1, std::memory_order_release);
}

void key_cache::reload(bool forced) {
  // Read the version before the keys: a change made while we page through them
  // leaves the version ahead of ours, and the next poll reloads again.
  std::int64_t version = store_->keys_version();
  if (!forced && version == loaded_version_) return;
  publish(load_stored_keys());
  loaded_version_ = version;
  spdlog::debug("key cache: loaded key version {} (snapshot {})", version, snapshot_generation());
}

void key_cache::reload_or_warn(bool forced) {
  try {
    reload(forced);
    if (failing_) spdlog::info("key cache: reloading works again after {} failed reload(s)", streak_);
    failing_ = false;
    streak_ = 0;
  } catch (const std::exception& e) {
    reload_failures_.fetch_add(1, std::memory_order_relaxed);
    ++streak_;
    if (!failing_)
      spdlog::warn("key cache: reload failed, still serving the last snapshot: {}", e.what());
    failing_ = true;
  }
}

void key_cache::run() {
  ::pthread_setname_np(::pthread_self(), "pg-keys");
  std::unique_lock lk(wake_mu_);
  while (true) {
    wake_.wait_for(lk, opts_.refresh_interval,
                   [this] { return stop_requested_ || reload_requested_; });
    if (stop_requested_) return;
    bool forced = std::exchange(reload_requested_, false);
    lk.unlock();
    reload_or_warn(forced);
    lk.lock();
  }
}

}  // namespace passgate::auth

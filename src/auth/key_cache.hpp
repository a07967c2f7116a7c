#pragma once
// How the request path recognises a gateway key without ever blocking an I/O
// thread.
//
// The cache holds an immutable snapshot of ALL keys (static config keys and stored
// keys), indexed by their SHA-256. Lookups read the snapshot only. A background
// thread, owned by the cache, polls store::keys_version() (one cheap SELECT) every
// refresh_interval and builds a new snapshot when it changed; invalidate() wakes
// it to reload at once (call it after this process changed a key).
//
// Negative cache: a key missing from the snapshot is unknown, and a lookup never
// asks the store about it, so a flood of bad keys costs a hash and a map probe
// each and cannot hammer the database. The price: a key created by another
// process is known only after the next poll (at most refresh_interval later).
//
// Revocation arrives the same way; expiry is checked at lookup time against the
// clock, so an expired key is refused at once.
//
// If a reload fails (the store locked, unreadable, gone) the cache keeps serving
// the last snapshot, logs one warning per failure streak (and one line when
// reloading works again) and counts the failures; the refresh thread never dies
// of it.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "auth/key_format.hpp"
#include "auth/key_record.hpp"

namespace passgate::store {
class store;
}

namespace passgate::auth {

struct key_cache_options {
  std::chrono::milliseconds refresh_interval{1000};
  // Unix seconds for expiry checks; empty: the system clock. Tests set it.
  std::function<std::int64_t()> now_unix;
  // Called with every record of each new snapshot just before it is published,
  // on the thread that publishes it (start()'s caller, then the refresh thread:
  // never an I/O thread). The limiter seeds budgets from the store here.
  std::function<void(const std::vector<std::shared_ptr<const key_record>>&)> on_publish;
};

namespace detail {
class key_snapshot;  // defined in key_cache.cpp
}

class key_cache {
 public:
  // st may be null (static keys only); it must outlive the cache. The store is
  // called from the cache's thread (and from start()), never from find().
  // static_keys carry key_hash; a malformed one throws std::invalid_argument.
  key_cache(store::store* st, std::vector<key_record> static_keys, key_cache_options opts = {});
  ~key_cache();  // stop()
  key_cache(const key_cache&) = delete;
  key_cache& operator=(const key_cache&) = delete;

  // Loads the stored keys on the calling thread (a store error throws: a server
  // must not start without its keys), then starts the refresh thread.
  void start();
  // Stops and joins the refresh thread. Idempotent.
  void stop();
  // Asks the refresh thread to reload now, without waiting for it.
  void invalidate();

  // Hashes `key` and returns its record if it exists and is usable now (not
  // revoked, not expired); else nullptr. Any string is accepted: the config's
  // master key need not look like a virtual key. Never blocks on I/O.
  std::shared_ptr<const key_record> find(std::string_view key) const;
  // The same, by the key's hex SHA-256 (either case); malformed: nullptr.
  std::shared_ptr<const key_record> find_by_hash(std::string_view hex_hash) const;

  // Grows by one each time a new snapshot is published.
  std::int64_t snapshot_generation() const {
    return generation_.load(std::memory_order_acquire);
  }
  // Reloads that failed since the cache was made.
  std::uint64_t reload_failures() const { return reload_failures_.load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<const key_record> find_digest(const key_digest& d) const;
  const detail::key_snapshot& current() const;
  std::int64_t now() const;
  std::vector<key_record> load_stored_keys() const;
  void publish(std::vector<key_record> stored);
  void reload(bool forced);           // throws
  void reload_or_warn(bool forced);  // keeps the last snapshot on failure
  void run();

  store::store* const store_;
  const std::vector<key_record> static_keys_;
  const key_cache_options opts_;
  const std::uint64_t id_;  // tells caches apart in each thread's snapshot slot

  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const detail::key_snapshot> snapshot_;  // guarded by snapshot_mu_
  std::atomic<std::int64_t> generation_{0};              // written under snapshot_mu_

  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stop_requested_ = false;    // guarded by wake_mu_
  bool reload_requested_ = false;  // guarded by wake_mu_
  std::thread thread_;

  // Used by start() and then by the refresh thread only.
  std::optional<std::int64_t> loaded_version_;
  bool failing_ = false;
  std::uint64_t streak_ = 0;  // failed reloads in the current streak
  std::atomic<std::uint64_t> reload_failures_{0};
};

}  // namespace passgate::auth

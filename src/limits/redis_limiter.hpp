#pragma once
// The shared limiter: every gateway of a fleet keeps its keys' counters in one
// Redis, so a key's limits hold across the fleet, not per instance.
//
// - Every check-and-record is one Lua script (redis_scripts.hpp), atomic in
//   Redis: two gateways cannot both take the last request of a minute.
// - rpm is exact fleet-wide, as in one process. tpm and budgets are charged after
//   the answer, so their overshoot is, as in one process, what requests already in
//   flight (on every instance) use once the limit is crossed; parallel slots are
//   exact, and a crashed instance's slots come back after parallel_lease.
// - Times are each gateway's own clock (the now_ms it passes), not Redis's: a
//   budget's period must be the one the store's spend is summed over. Clock skew
//   of d ms between instances shortens or lengthens the rpm/tpm window by up to d
//   as seen by one instance (NTP keeps that to a few ms), and may move a budget's
//   rollover by d.
// - I/O threads never wait on Redis: admit_async() queues, one client thread owns
//   the connection and pipelines everything queued, then calls back from there.
//   charge() and release_parallel() only queue.
// - When Redis cannot be reached (or times out): one warning per outage, then per
//   on_shared_error either an embedded in-process limiter counts (local), or
//   requests are refused as refusal::unavailable (deny) — answered at once on the
//   caller's thread, never waiting for a timeout each. It reconnects by itself
//   (100 ms doubling to 5 s) and logs once when it is back; budgets are then
//   marked to be seeded again from the store, which holds the spend of the outage.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "limits/limiter.hpp"

namespace passgate::limits {

struct redis_options {
  std::string url;  // redis://[[user]:password@]host[:port][/db]
  // Connect, and every read and write on the connection.
  std::chrono::milliseconds timeout{250};
  enum class on_error { local, deny } on_shared_error = on_error::local;
  std::string key_prefix = "passgate:";
  // A parallel slot not released by then (its gateway died) is free again.
  std::chrono::seconds parallel_lease{3600};
  // Called on the limiter's thread when Redis is back after an outage: budgets
  // want seeding from the store again (needs_seed() says which). Must not block.
  std::function<void()> on_reconnect;
};

// Throws std::invalid_argument for a bad URL (the text never repeats it: it may
// hold a password) or option. Does not wait for Redis: the client thread connects.
std::unique_ptr<limiter> make_redis_limiter(redis_options options);

}  // namespace passgate::limits

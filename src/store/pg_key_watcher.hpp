#pragma once
// Pushes key changes from PostgreSQL to a key cache: a thread with a connection
// of its own LISTENs on the channel the keys trigger notifies (pg_schema.cpp).
#include <functional>
#include <memory>
#include <string>

#include "store/pg_connection.hpp"
#include "store/store.hpp"

namespace passgate::store::pg {

// The channel the keys trigger notifies.
inline constexpr const char* key_changes_channel = "passgate_key_changes";

// Calls on_change on the watcher's thread after each notification and after each
// successful (re)connect (changes may have been missed meanwhile). Reconnects by
// itself with a backoff (100 ms doubling to 5 s); one warning per outage, one line
// on recovery. Destroying it stops the thread within about 250 ms (longer only
// while a connection attempt is under way, at most opts.connect_timeout).
std::unique_ptr<store::watcher> watch_key_changes(std::string url, connect_options opts,
                                                  std::function<void()> on_change);

}  // namespace passgate::store::pg

#pragma once
// The admin HTTP API (LiteLLM's endpoint and field names), as a pure-ish handler
// over the store, the key cache and the config: no sockets, so it is unit-tested
// directly. The session reads the body (≤ 1 MiB) and runs handle() on the
// gateway's blocking pool.
//
//   POST /key/generate   GET /key/info?key_id=…|key=…   GET /key/list?page=&size=
//   POST /key/update     POST /key/delete {"keys":[…]} | {"key_ids":[…]}
//   GET  /spend/logs?…   GET /spend/report?group_by=key|model|credential|day&…
//
// Who may call: the master key (a key record with is_master) in
// "Authorization: Bearer <key>" or "x-passgate-key: <key>" may do everything. Any
// other valid gateway key may read /spend/logs and /spend/report for its own
// rows only (403 if it asks for another key's); /key/* answers it 403. A missing,
// unknown, expired or revoked key is 401. Keys are never echoed.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "admin/key_service.hpp"
#include "proxy/gateway.hpp"

namespace passgate::admin {

class admin_api {
 public:
  // All three must outlive the api. now_unix: empty means the system clock.
  admin_api(store::store& st, auth::key_cache& keys, config::config_ptr cfg,
            std::function<std::int64_t()> now_unix = {});

  // Never throws. A store that cannot be used now (store::unavailable: locked or
  // busy past the short wait, read-only, full, gone) is a 503 overloaded_error
  // "key store unavailable: …; try again"; any other store failure is a 500
  // api_error. Both in Anthropic's error shape.
  proxy::local_response handle(const proxy::local_request& req);
  // Calls that failed on the store (503 and 500 answers).
  std::uint64_t store_failures() const { return store_failures_.load(std::memory_order_relaxed); }

 private:
  proxy::local_response dispatch(const proxy::local_request& req);

  store::store& store_;
  auth::key_cache& keys_;
  config::config_ptr cfg_;
  key_service service_;
  std::atomic<std::uint64_t> store_failures_{0};
};

// The gateway's admin entries ("/key/", "/spend/"), all served by `api`.
std::vector<std::pair<std::string, proxy::local_handler>> endpoints(std::shared_ptr<admin_api> api);

}  // namespace passgate::admin

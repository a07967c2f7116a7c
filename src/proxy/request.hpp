#pragma once
// One request on a client connection, from its first byte to its one end. The
// session keeps one and reuses it; every way a request ends goes through
// session::finish(), which releases what the request held, logs it, counts it
// and hands its row to the writer (see session.cpp).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/gateway_error.hpp"
#include "auth/key_record.hpp"
#include "common/watchdog.hpp"
#include "limits/limiter.hpp"
#include "policy/credential_label.hpp"
#include "usage/spend_record.hpp"

namespace passgate::proxy {

enum class request_state {
  reading_head,   // waiting for the head (or the rest of it)
  routing,        // head read: edge checks, route, policy; may be answered locally
  forwarding,     // connecting upstream, sending the request, awaiting the response head
  streaming,      // the response head went to the client; the body is flowing
  finished,       // finish() ran: logged, counted, row handed over
};

// How a request ended, as the row and the metrics name it.
namespace outcome {
inline constexpr std::string_view ok = "ok";
inline constexpr std::string_view upstream_error = "upstream_error";
inline constexpr std::string_view client_closed = "client_closed";
inline constexpr std::string_view shutdown = "shutdown";  // cut when the grace period ran out
inline constexpr std::string_view refused = "refused";    // a key's budget or rate limit
inline constexpr std::string_view gateway_error = "gateway_error";
}  // namespace outcome

// Why forwarding stopped before an answer came back: answered locally with
// code/message while the client is there, otherwise just ended.
struct stop_reason {
  gateway_error code = gateway_error::internal;
  std::string message;
  bool close = false;  // the request's own framing failed: end the connection too
};

struct request {
  request_state state = request_state::finished;
  usage::spend_record record;
  clock::time_point started{};
  std::uint64_t bytes_out = 0;  // bytes written to the client for this request
  bool timed_out = false;       // the watchdog's deadline passed
  bool cut = false;             // the grace period ran out: everything was cancelled
  bool client_gone = false;     // the client closed while we waited on the upstream
  bool awaiting_upstream = false;  // sent, answer not finished: the client watcher may arm
  bool tapping = false;         // the usage tap was started for this answer
  bool upstream_reused = false;  // the upstream connection came from the pool
  // Governance: the key whose limits admitted this request (null for keys
  // without limits) and what admission said; finish() releases and charges.
  std::shared_ptr<const auth::key_record> limited_key;
  limits::admission admission;
  policy::credential_label label = policy::credential_label::none;

  // Why the exchange broke, when it breaks: the cut and a vanished client
  // explain an I/O error better than the error itself.
  std::string_view failure_outcome() const { return cut || client_gone ? closed_outcome() : outcome::upstream_error; }
  // The client's side failed (a read or a write): cut by the shutdown, or gone.
  std::string_view closed_outcome() const { return cut ? outcome::shutdown : outcome::client_closed; }
};

}  // namespace passgate::proxy

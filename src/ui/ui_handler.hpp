#pragma once
// Serves the web console under /ui (GET and HEAD; no key needed for the static
// files: the console asks for one and sends it to the admin API itself).
//   /ui, /ui/   → index.html
//   /ui/<file>  → that asset, or 404
// Every answer carries cache-control: no-cache (revalidated with the ETag; a
// matching If-None-Match is 304), a strict content-security-policy,
// x-content-type-options: nosniff and referrer-policy: no-referrer.
#include <string>
#include <utility>

#include "proxy/gateway.hpp"

namespace passgate::ui {

proxy::local_response serve_console(const proxy::local_request& req);

// The gateway's entry for the console: {"/ui", serve_console}.
std::pair<std::string, proxy::local_handler> console_endpoint();

}  // namespace passgate::ui

#pragma once
#include <string>

namespace passgate {
// "req_" + 24 hex digits: a random per-thread prefix and a counter. Unique within
// and across processes without a syscall per request.
void next_request_id(std::string& out);
}  // namespace passgate

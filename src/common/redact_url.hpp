#pragma once
// Database and Redis addresses may carry a password; anything that prints one
// (config dumps, logs, errors) goes through redact_url first.
#include <string>
#include <string_view>

namespace passgate {

// "scheme://user:secret@host/db" → "scheme://user:***@host/db";
// "host=h password=secret" → "host=h password=***"; "…?password=secret&x" →
// "…?password=***&x". Anything else is returned as it is.
std::string redact_url(std::string_view url);

}  // namespace passgate

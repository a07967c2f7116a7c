#pragma once
// The Lua scripts that are the only writers of the shared counters: each runs
// atomically in Redis, so a check and the increment it allows cannot interleave
// with another gateway's (no read-then-write race). Every key a script touches is
// passed in KEYS and carries the key id's hash tag, so one key's counters share a
// cluster slot.
//
// Times are the calling gateway's clock (now_ms and cutoffs computed from it),
// never the server's TIME: a budget's period must be the one the store's spend
// rows are summed over, and the answers match the in-process limiter's for the
// same times. Expiries are relative TTLs (PEXPIRE), so the server's clock does
// not matter either.
//
// Per key ({id} is the hash tag):
//   {id}:rpm      ZSET  admission id -> admission time; the exact 60 s window
//   {id}:tpm      ZSET  "<id>:<tokens>" -> charge time
//   {id}:tpm_sum  the tokens in that log (a running sum, trimmed with it)
//   {id}:par      ZSET  slot id -> admission time; older than the lease is gone
//   {id}:seq      the id sequence for the three above (unique members)
//   {id}:budget:<period>:<labels>:<window start>  spend (INCRBYFLOAT)
#include <string_view>

namespace passgate::limits::redis_scripts {

// Shared by admit and charge: the tokens in (now - 60 s, now]. The sum and the
// log expire separately; if only one is left the sum is rebuilt from the log.
#define PASSGATE_TPM_LUA                                                           \
  "local function tokens_of(m) return tonumber(string.match(m, ':(%d+)$')) end\n"  \
  "local function window_tokens(log, sumk, cutoff, ttl)\n"                         \
  "  local s = redis.call('GET', sumk)\n"                                          \
  "  local sum = 0\n"                                                              \
  "  if s then sum = tonumber(s) else\n"                                           \
  "    for _, m in ipairs(redis.call('ZRANGE', log, 0, -1)) do\n"                  \
  "      sum = sum + tokens_of(m)\n"                                               \
  "    end\n"                                                                      \
  "  end\n"                                                                        \
  "  local old = redis.call('ZRANGEBYSCORE', log, '-inf', cutoff)\n"               \
  "  for _, m in ipairs(old) do sum = sum - tokens_of(m) end\n"                    \
  "  if #old > 0 then redis.call('ZREMRANGEBYSCORE', log, '-inf', cutoff) end\n"   \
  "  if redis.call('EXISTS', log) == 0 then\n"                                     \
  "    if s then redis.call('DEL', sumk) end\n"                                    \
  "    return 0\n"                                                                 \
  "  end\n"                                                                        \
  "  if (not s) or #old > 0 then\n"                                                \
  "    redis.call('SET', sumk, string.format('%d', sum), 'PX', ttl)\n"             \
  "  end\n"                                                                        \
  "  return sum\n"                                                                 \
  "end\n"

// KEYS: 1 budget spend, 2 rpm log, 3 tpm log, 4 tpm sum, 5 parallel slots, 6 id sequence
// ARGV: 1 now, 2 check the budget (1/0), 3 max budget, 4 rpm limit, 5 tpm limit,
//       6 parallel limit ('' = none), 7 window cutoff (now - 60 s, inclusive),
//       8 lease cutoff (now - lease), 9 window ttl, 10 slots ttl, 11 sequence ttl
// Returns {0, rpm used (-1 n/a), tpm used (-1), slot id}  admitted
//         {1, spend}                                       budget spent
//         {2, ms until under, tpm used}                    rpm
//         {3, ms until under, rpm used}                    tpm
//         {4, in flight}                                   parallel
// The checks run in local_limiter's order: budget, rpm, tpm, parallel.
inline constexpr std::string_view admit = PASSGATE_TPM_LUA
    "local now = tonumber(ARGV[1])\n"
    "if ARGV[2] == '1' then\n"
    "  local spend = redis.call('GET', KEYS[1])\n"
    "  if spend and tonumber(spend) >= tonumber(ARGV[3]) then return {1, spend} end\n"
    "end\n"
    "local rpm_used, tpm_used = -1, -1\n"
    "if ARGV[4] ~= '' then\n"
    "  local limit = tonumber(ARGV[4])\n"
    "  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[7])\n"
    "  rpm_used = redis.call('ZCARD', KEYS[2])\n"
    "  if rpm_used >= limit then\n"
    "    local wait = 0\n"
    "    if limit >= 1 then\n"  // the entry whose leaving brings the count under the limit
    "      local e = redis.call('ZRANGE', KEYS[2], rpm_used - limit, rpm_used - limit, 'WITHSCORES')\n"
    "      wait = tonumber(e[2]) + 60000 - now\n"
    "    end\n"
    "    if ARGV[5] ~= '' then tpm_used = window_tokens(KEYS[3], KEYS[4], ARGV[7], ARGV[9]) end\n"
    "    return {2, wait, tpm_used}\n"
    "  end\n"
    "end\n"
    "if ARGV[5] ~= '' then\n"
    "  local limit = tonumber(ARGV[5])\n"
    "  tpm_used = window_tokens(KEYS[3], KEYS[4], ARGV[7], ARGV[9])\n"
    "  if tpm_used >= limit then\n"
    "    local wait, sum = 0, tpm_used\n"
    "    local e = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[7], '+inf', 'WITHSCORES')\n"
    "    for i = 1, #e, 2 do\n"
    "      sum = sum - tokens_of(e[i])\n"
    "      if sum < limit then wait = tonumber(e[i + 1]) + 60000 - now; break end\n"
    "    end\n"
    "    return {3, wait, rpm_used}\n"
    "  end\n"
    "end\n"
    "if ARGV[6] ~= '' then\n"
    "  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. ARGV[8])\n"
    "  local n = redis.call('ZCARD', KEYS[5])\n"
    "  if n >= tonumber(ARGV[6]) then return {4, n} end\n"
    "end\n"
    "local id = 0\n"
    "if ARGV[4] ~= '' or ARGV[6] ~= '' then\n"
    "  id = redis.call('INCR', KEYS[6])\n"
    "  redis.call('PEXPIRE', KEYS[6], ARGV[11])\n"
    "end\n"
    "if ARGV[4] ~= '' then\n"
    "  redis.call('ZADD', KEYS[2], ARGV[1], id)\n"
    "  redis.call('PEXPIRE', KEYS[2], ARGV[9])\n"
    "  rpm_used = rpm_used + 1\n"
    "end\n"
    "if ARGV[6] ~= '' then\n"
    "  redis.call('ZADD', KEYS[5], ARGV[1], id)\n"
    "  redis.call('PEXPIRE', KEYS[5], ARGV[10])\n"
    "end\n"
    "return {0, rpm_used, tpm_used, id}\n";

// KEYS: 1 tpm log, 2 tpm sum, 3 id sequence, 4 budget spend
// ARGV: 1 now, 2 tokens ('' = none), 3 window cutoff, 4 window ttl, 5 sequence ttl,
//       6 cost ('' = none), 7 budget ttl ('' = never expires)
inline constexpr std::string_view charge = PASSGATE_TPM_LUA
    "if ARGV[2] ~= '' then\n"
    "  local sum = window_tokens(KEYS[1], KEYS[2], ARGV[3], ARGV[4])\n"
    "  local id = redis.call('INCR', KEYS[3])\n"
    "  redis.call('PEXPIRE', KEYS[3], ARGV[5])\n"
    "  redis.call('ZADD', KEYS[1], ARGV[1], id .. ':' .. ARGV[2])\n"
    "  redis.call('PEXPIRE', KEYS[1], ARGV[4])\n"
    "  redis.call('SET', KEYS[2], string.format('%d', sum + tonumber(ARGV[2])), 'PX', ARGV[4])\n"
    "end\n"
    "if ARGV[6] ~= '' then\n"
    "  redis.call('INCRBYFLOAT', KEYS[4], ARGV[6])\n"
    "  if ARGV[7] ~= '' then redis.call('PEXPIRE', KEYS[4], ARGV[7]) end\n"
    "end\n"
    "return 1\n";

// KEYS: 1 parallel slots. ARGV: 1 slot id. Releasing twice is harmless.
inline constexpr std::string_view release =
    "redis.call('ZREM', KEYS[1], ARGV[1])\n"
    "return 1\n";

// KEYS: 1 budget spend. ARGV: 1 spend from the store, 2 ttl ('' = never expires).
// Never lowers: what the fleet counted since may not be in the store yet.
inline constexpr std::string_view seed =
    "local cur = redis.call('GET', KEYS[1])\n"
    "if (not cur) or tonumber(ARGV[1]) > tonumber(cur) then redis.call('SET', KEYS[1], ARGV[1]) end\n"
    "if ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end\n"
    "return 1\n";

#undef PASSGATE_TPM_LUA

}  // namespace passgate::limits::redis_scripts

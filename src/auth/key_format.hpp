#pragma once
// Virtual keys: how they are made, recognised, hashed and shown. The gateway keeps
// only hashes (DESIGN §3); the full key exists once, when it is generated.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace passgate::auth {

inline constexpr std::string_view virtual_key_prefix = "sk-pg-";

// "sk-pg-" + 43 base62 digits encoding 32 bytes from RAND_bytes (256 bits).
// Throws std::runtime_error if the random generator fails.
std::string generate_key();

// "key_" + 16 lower-case hex digits from RAND_bytes: a non-secret id.
std::string generate_key_id();

// The prefix and a base62 tail of 40..64 characters (43 today; the range leaves
// room for a longer format). Cheap and allocation-free: it decides whether a
// credential header value is a gateway key, not whether the key exists.
bool looks_like_virtual_key(std::string_view s);

// SHA-256 of the key, binary: what the key cache indexes by.
using key_digest = std::array<unsigned char, 32>;
key_digest digest_key(std::string_view key);

// Lower-case hex SHA-256 of the key: key_record::key_hash.
std::string hash_key(std::string_view key);
// The same into a caller buffer, for the request path (no allocation).
void hash_key(std::string_view key, std::array<char, 64>& hex_out);

// A 64-digit hex hash (either case) back to binary; nullopt if malformed.
std::optional<key_digest> parse_key_hash(std::string_view hex);

// What logs and listings may show: up to 10 leading characters + "…", never more
// than half the key (a short config key must not be shown whole).
std::string display_prefix(std::string_view key);

// "30s", "15m", "12h", "30d" → seconds. nullopt for anything else: no number, no
// or unknown unit, zero, sign, spaces or overflow.
std::optional<std::int64_t> parse_duration_s(std::string_view s);

// True when equal; time depends only on the lengths (CRYPTO_memcmp), and values
// of different lengths are unequal.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace passgate::auth

#include "auth/key_format.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <memory>
#include <stdexcept>

namespace passgate::auth {
namespace {

constexpr std::string_view base62_digits =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::size_t key_bytes = 32;
constexpr std::size_t key_tail_len = 43;  // ceil(256 / log2(62))
constexpr std::size_t min_tail_len = 40;
constexpr std::size_t max_tail_len = 64;
constexpr char hex_digits[] = "0123456789abcdef";

void random_bytes(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, int(n)) != 1) throw std::runtime_error("auth: RAND_bytes failed");
}

bool is_base62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Fetched once: the implicit fetch behind EVP_sha256() or SHA256() looks the
// algorithm up in the provider tables on every call. Deliberately never freed.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!md) throw std::runtime_error("auth: SHA-256 is not available from OpenSSL");
  return md;
}

// One reusable digest context per thread, so hashing allocates nothing.
EVP_MD_CTX* thread_digest_ctx() {
  struct ctx_free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, ctx_free> ctx(EVP_MD_CTX_new());
  if (!ctx) throw std::runtime_error("auth: EVP_MD_CTX_new failed");
  return ctx.get();
}

}  // namespace

std::string generate_key() {
  unsigned char n[key_bytes];
  random_bytes(n, sizeof n);
  // Base62 of n as one 256-bit big-endian number, fixed width: divide by 62
  // repeatedly, the remainders being the digits from the right.
  std::string out(virtual_key_prefix.size() + key_tail_len, '0');
  out.replace(0, virtual_key_prefix.size(), virtual_key_prefix);
  for (std::size_t pos = out.size(); pos > virtual_key_prefix.size(); --pos) {
    unsigned rem = 0;
    for (auto& byte : n) {
      unsigned cur = rem * 256 + byte;
      byte = static_cast<unsigned char>(cur / 62);
      rem = cur % 62;
    }
    out[pos - 1] = base62_digits[rem];
  }
  OPENSSL_cleanse(n, sizeof n);
  return out;
}

std::string generate_key_id() {
  unsigned char id[8];
  random_bytes(id, sizeof id);
  std::string out = "key_";
  for (unsigned char b : id) {
    out += hex_digits[b >> 4];
    out += hex_digits[b & 0xf];
  }
  return out;
}

bool looks_like_virtual_key(std::string_view s) {
  if (!s.starts_with(virtual_key_prefix)) return false;
  auto tail = s.substr(virtual_key_prefix.size());
  if (tail.size() < min_tail_len || tail.size() > max_tail_len) return false;
  for (char c : tail)
    if (!is_base62(c)) return false;
  return true;
}

key_digest digest_key(std::string_view key) {
  EVP_MD_CTX* ctx = thread_digest_ctx();
  key_digest out;
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, key.data(), key.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size())
    throw std::runtime_error("auth: SHA-256 failed");
  return out;
}

void hash_key(std::string_view key, std::array<char, 64>& hex_out) {
  key_digest d = digest_key(key);
  for (std::size_t i = 0; i < d.size(); ++i) {
    hex_out[2 * i] = hex_digits[d[i] >> 4];
    hex_out[2 * i + 1] = hex_digits[d[i] & 0xf];
  }
}

std::string hash_key(std::string_view key) {
  std::array<char, 64> hex;
  hash_key(key, hex);
  return std::string(hex.data(), hex.size());
}

std::optional<key_digest> parse_key_hash(std::string_view hex) {
  key_digest d;
  if (hex.size() != 2 * d.size()) return std::nullopt;
  for (std::size_t i = 0; i < d.size(); ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return d;
}

std::string display_prefix(std::string_view key) {
  return std::string(key.substr(0, std::min<std::size_t>(10, key.size() / 2))) + "…";
}

std::optional<std::int64_t> parse_duration_s(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  std::int64_t unit = 0;
  switch (s.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return std::nullopt;
  }
  auto digits = s.substr(0, s.size() - 1);
  std::uint64_t n = 0;  // unsigned: from_chars then refuses a sign
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (n == 0 || n > std::uint64_t(std::numeric_limits<std::int64_t>::max() / unit))
    return std::nullopt;
  return std::int64_t(n) * unit;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace passgate::auth

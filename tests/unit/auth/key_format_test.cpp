// Virtual key format, hashing, display, durations and constant-time comparison.
#include <gtest/gtest.h>

#include <cctype>
#include <iostream>
#include <set>
#include <string>

#include "auth/key_format.hpp"

namespace passgate::auth {
namespace {

bool all_base62(std::string_view s) {
  return s.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") ==
         std::string_view::npos;
}

TEST(KeyFormat, GeneratedKeysHaveThePrefixLengthAndCharset) {
  std::cout << "10k generated keys: sk-pg- + 43 base62 chars, all distinct, all recognised\n";
  std::set<std::string> keys;
  std::set<char> tail_chars;
  for (int i = 0; i < 10000; ++i) {
    auto k = generate_key();
    ASSERT_TRUE(k.starts_with("sk-pg-")) << k;
    ASSERT_EQ(k.size(), 6u + 43u) << k;
    ASSERT_TRUE(all_base62(k.substr(6))) << k;
    ASSERT_TRUE(looks_like_virtual_key(k)) << k;
    tail_chars.insert(k.begin() + 6, k.end());
    keys.insert(std::move(k));
  }
  EXPECT_EQ(keys.size(), 10000u);
  EXPECT_EQ(tail_chars.size(), 62u) << "every base62 digit should occur";
}

TEST(KeyFormat, GeneratedKeyIdsAreHexAndDistinct) {
  std::cout << "10k key ids: key_ + 16 lower-case hex digits, all distinct\n";
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) {
    auto id = generate_key_id();
    ASSERT_EQ(id.size(), 20u) << id;
    ASSERT_TRUE(id.starts_with("key_")) << id;
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef", 4), std::string::npos) << id;
    ids.insert(std::move(id));
  }
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(KeyFormat, LooksLikeVirtualKey) {
  std::cout << "prefix and a 40..64 char base62 tail are required\n";
  const std::string tail40(40, 'a'), tail64(64, 'Z');
  EXPECT_TRUE(looks_like_virtual_key("sk-pg-" + tail40));
  EXPECT_TRUE(looks_like_virtual_key("sk-pg-" + tail64));
  EXPECT_FALSE(looks_like_virtual_key("sk-pg-" + std::string(39, 'a')));
  EXPECT_FALSE(looks_like_virtual_key("sk-pg-" + std::string(65, 'a')));
  EXPECT_FALSE(looks_like_virtual_key("sk-pg-"));
  EXPECT_FALSE(looks_like_virtual_key(""));
  EXPECT_FALSE(looks_like_virtual_key("sk-ant-api03-" + tail40));
  EXPECT_FALSE(looks_like_virtual_key("SK-PG-" + tail40));
  EXPECT_FALSE(looks_like_virtual_key(" sk-pg-" + tail40));
  for (char bad : {'-', '_', '+', '/', '=', ' ', '\0', '\xc3'}) {
    auto k = "sk-pg-" + tail40;
    k[20] = bad;
    EXPECT_FALSE(looks_like_virtual_key(k)) << "char code " << int(bad);
  }
}

TEST(KeyFormat, HashIsLowerHexSha256) {
  std::cout << "hash_key matches the SHA-256 test vectors for \"abc\" and \"\"\n";
  EXPECT_EQ(hash_key("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash_key(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::array<char, 64> buf;
  hash_key("abc", buf);
  EXPECT_EQ(std::string(buf.data(), buf.size()), hash_key("abc"));
}

TEST(KeyFormat, ParseKeyHashRoundTrips) {
  std::cout << "parse_key_hash inverts hash_key, accepts upper case, refuses malformed text\n";
  auto key = generate_key();
  auto hex = hash_key(key);
  auto d = parse_key_hash(hex);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, digest_key(key));
  std::string upper = hex;
  for (auto& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(parse_key_hash(upper), d);
  EXPECT_FALSE(parse_key_hash(hex.substr(1)));
  EXPECT_FALSE(parse_key_hash(hex + "0"));
  EXPECT_FALSE(parse_key_hash(std::string(63, 'a') + "g"));
  EXPECT_FALSE(parse_key_hash(""));
}

TEST(KeyFormat, DisplayPrefixShowsAtMostTenCharsAndHalfTheKey) {
  std::cout << "display_prefix: 10 chars + ellipsis, never more than half of a short key\n";
  EXPECT_EQ(display_prefix("sk-pg-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ABCDEFG"), "sk-pg-AbCd…");
  EXPECT_EQ(display_prefix("sk-1234"), "sk-…");
  EXPECT_EQ(display_prefix(""), "…");
}

TEST(KeyFormat, ParseDurationAcceptsUnits) {
  std::cout << "parse_duration_s: s, m, h, d\n";
  EXPECT_EQ(parse_duration_s("30s"), 30);
  EXPECT_EQ(parse_duration_s("15m"), 900);
  EXPECT_EQ(parse_duration_s("12h"), 43200);
  EXPECT_EQ(parse_duration_s("30d"), 2592000);
  EXPECT_EQ(parse_duration_s("1d"), 86400);
  EXPECT_EQ(parse_duration_s("007m"), 420);
}

TEST(KeyFormat, ParseDurationRefusesBadInput) {
  std::cout << "parse_duration_s refuses missing parts, unknown units, signs, spaces, zero, "
               "overflow\n";
  for (const char* bad : {"", "s", "30", "d30", "30x", "30S", "30 d", " 30d", "30d ", "-5m", "+5m",
                          "0s", "0d", "1.5h", "30dd", "1e3s", "106751991167301d",
                          "99999999999999999999s"})
    EXPECT_FALSE(parse_duration_s(bad)) << '"' << bad << '"';
  EXPECT_EQ(parse_duration_s("106751991167300d"), 106751991167300LL * 86400);
}

TEST(KeyFormat, ConstantTimeEqual) {
  std::cout << "constant_time_equal: equal, differing, different lengths, empty\n";
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

}  // namespace
}  // namespace passgate::auth

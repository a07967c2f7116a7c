#include "usage/json_scanner.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

namespace passgate::usage {
namespace {

struct member {
  std::string key, raw;
  bool truncated;
  bool operator==(const member&) const = default;
};

struct recorder final : json_member_listener {
  std::vector<member> members;
  bool wants_member(std::string_view key) const override {
    return key == "usage" || key == "model" || key == "n";
  }
  void on_member(std::string_view key, std::string_view raw, bool truncated) override {
    members.push_back({std::string(key), std::string(raw), truncated});
  }
};

struct scan {
  std::vector<member> members;
  bool malformed;
};

scan scan_all(std::string_view body, std::size_t piece = 0) {
  recorder r;
  json_scanner scanner(r);
  if (piece == 0) piece = body.size() + 1;
  for (std::size_t i = 0; i < body.size(); i += piece) scanner.feed(body.substr(i, piece));
  scanner.finish();
  return {r.members, scanner.malformed()};
}

TEST(JsonScanner, CapturesWantedTopLevelMembersOnly) {
  std::cout << "checks: only top-level wanted members are captured, raw; nested look-alikes are not\n";
  const auto s = scan_all(
      R"({"id":"m","content":[{"usage":{"fake":1},"model":"fake"}],"model":"claude-x",)"
      R"( "usage" : {"input_tokens":3,"cache_creation":{"ephemeral_5m_input_tokens":1}} })");
  EXPECT_FALSE(s.malformed);
  const std::vector<member> expected{
      {"model", R"("claude-x")", false},
      {"usage", R"({"input_tokens":3,"cache_creation":{"ephemeral_5m_input_tokens":1}})", false}};
  EXPECT_EQ(s.members, expected);
}

TEST(JsonScanner, StringsWithEscapesDoNotConfuseIt) {
  std::cout << "checks: escaped quotes and backslashes inside strings are stepped over correctly\n";
  const auto s = scan_all(R"({"text":"a \"usage\": {\"n\":1} \\","n":[1,"]}\"",{}],"model":"m\"q"})");
  EXPECT_FALSE(s.malformed);
  const std::vector<member> expected{{"n", R"([1,"]}\"",{}])", false}, {"model", R"("m\"q")", false}};
  EXPECT_EQ(s.members, expected);
}

TEST(JsonScanner, ScalarValues) {
  std::cout << "checks: numbers and literals are captured up to their delimiter\n";
  EXPECT_EQ(scan_all(R"({"n":2095})").members, (std::vector<member>{{"n", "2095", false}}));
  EXPECT_EQ(scan_all("{ \"n\" : -1.5e3 ,\"x\":null}").members,
            (std::vector<member>{{"n", "-1.5e3", false}}));
  EXPECT_EQ(scan_all(R"({"n":null})").members, (std::vector<member>{{"n", "null", false}}));
}

TEST(JsonScanner, SameMembersAtEveryPieceSize) {
  std::cout << "checks: identical captures for every piece size from 1 byte to the whole body\n";
  const std::string body =
      "{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"x\\\\\\\"y\\n\"}],"
      "\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":12,\"output_tokens\":6},\"n\":7}\n";
  const auto whole = scan_all(body);
  ASSERT_EQ(whole.members.size(), 3u);
  for (std::size_t piece = 1; piece <= body.size(); ++piece) {
    const auto s = scan_all(body, piece);
    EXPECT_EQ(s.members, whole.members) << "piece size " << piece;
    EXPECT_FALSE(s.malformed);
  }
}

TEST(JsonScanner, MalformedBodies) {
  std::cout << "checks: non-objects, broken top-level syntax, trailing bytes and truncation are malformed\n";
  for (const std::string_view bad :
       {"[1,2]", "<html>502</html>", R"({"a" 1})", R"({"a":1 "b":2})", "{} x", R"({"a":)", R"({"a":"b)",
        "{\"a\":{\"b\":1}", R"({"a":#})"}) {
    EXPECT_TRUE(scan_all(bad).malformed) << bad;
  }
  EXPECT_FALSE(scan_all("").malformed);       // an empty body is not an error
  EXPECT_FALSE(scan_all(" {}\r\n").malformed);
}

TEST(JsonScanner, EscapedKeysAreNotDecoded) {
  std::cout << "checks: a key written with escapes is compared as written (not wanted)\n";
  const auto s = scan_all(R"({"us\u0061ge":{"input_tokens":1}})");
  EXPECT_TRUE(s.members.empty());
  EXPECT_FALSE(s.malformed);
}

TEST(JsonScanner, BigValuesBoundedAndSkippedUnbuffered) {
  std::cout << "checks: a 4 MiB unwanted string is not buffered; a wanted value over the cap is truncated\n";
  recorder r;
  json_scanner scanner(r);
  scanner.feed(R"({"content":")");
  const std::string piece(4096, 'a');
  for (int i = 0; i < 1024; ++i) {
    scanner.feed(piece);
    ASSERT_LE(scanner.buffered_bytes(), json_scanner::max_key_bytes);
  }
  scanner.feed(R"(","usage":")");
  for (int i = 0; i < 32; ++i) scanner.feed(piece);
  EXPECT_LE(scanner.buffered_bytes(), json_scanner::max_value_bytes + json_scanner::max_key_bytes);
  scanner.feed(R"("})");
  scanner.finish();
  EXPECT_FALSE(scanner.malformed());
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_TRUE(r.members[0].truncated);
  EXPECT_EQ(r.members[0].raw.size(), json_scanner::max_value_bytes);
}

}  // namespace
}  // namespace passgate::usage

#include "usage/usage_json.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <string>

namespace passgate::usage {
namespace {

usage_json read_ok(std::string_view text) {
  usage_json j;
  EXPECT_TRUE(j.read(text)) << text;
  return j;
}

TEST(UsageJson, MessageStartPaths) {
  std::cout << "checks: message.model, message.usage.* and message.usage.cache_creation.* land in their places; "
               "the same names elsewhere do not\n";
  const auto j = read_ok(
      R"({"type":"message_start","message":{"id":"m","model":"claude-opus-4-5","content":[{"usage":{"input_tokens":7}}],)"
      R"("usage":{"input_tokens":472,"output_tokens":4,"cache_creation_input_tokens":2311,"cache_read_input_tokens":18047,)"
      R"("cache_creation":{"ephemeral_5m_input_tokens":2048,"ephemeral_1h_input_tokens":263},"service_tier":"standard"}},)"
      R"("input_tokens":99})");
  EXPECT_EQ(j.kind, usage_json::root::object);
  EXPECT_EQ(j.type, "message_start");
  EXPECT_TRUE(j.has_message_model);
  EXPECT_EQ(j.message_model, "claude-opus-4-5");
  EXPECT_EQ(j.message_usage.input_tokens, 472);
  EXPECT_EQ(j.message_usage.output_tokens, 4);
  EXPECT_EQ(j.message_usage.cache_creation_input_tokens, 2311);
  EXPECT_EQ(j.message_usage.cache_read_input_tokens, 18047);
  EXPECT_EQ(j.message_usage.cache_creation_5m_input_tokens, 2048);
  EXPECT_EQ(j.message_usage.cache_creation_1h_input_tokens, 263);
  EXPECT_FALSE(j.usage.input_tokens);  // only under "usage" at the top
  EXPECT_EQ(j.counts.input_tokens, 99);  // a count at the top
}

TEST(UsageJson, WrongTypesCountAsAbsent) {
  std::cout << "checks: null, negative, fractional, exponent, string, too-large counts are absent; a non-string "
               "model is absent\n";
  const auto j = read_ok(
      R"({"usage":{"input_tokens":null,"output_tokens":-3,"cache_creation_input_tokens":1.5,)"
      R"("cache_read_input_tokens":"12","cache_creation":{"ephemeral_5m_input_tokens":1e3,)"
      R"("ephemeral_1h_input_tokens":9223372036854775808}},"message":{"model":42}})");
  EXPECT_EQ(j.usage.input_tokens, std::nullopt);
  EXPECT_EQ(j.usage.output_tokens, std::nullopt);
  EXPECT_EQ(j.usage.cache_creation_input_tokens, std::nullopt);
  EXPECT_EQ(j.usage.cache_read_input_tokens, std::nullopt);
  EXPECT_EQ(j.usage.cache_creation_5m_input_tokens, std::nullopt);
  EXPECT_EQ(j.usage.cache_creation_1h_input_tokens, std::nullopt);
  EXPECT_FALSE(j.has_message_model);
  EXPECT_EQ(read_ok(R"({"usage":{"output_tokens":9223372036854775807}})").usage.output_tokens,
            9223372036854775807LL);
  EXPECT_EQ(read_ok(R"({"usage":{"output_tokens":0}})").usage.output_tokens, 0);
}

TEST(UsageJson, RootKinds) {
  std::cout << "checks: a string, a count, an object, null and an array at the root are told apart\n";
  auto s = read_ok(R"( "claude-haiku-4-5" )");
  EXPECT_EQ(s.kind, usage_json::root::string);
  EXPECT_EQ(s.root_string, "claude-haiku-4-5");
  auto n = read_ok("2095");
  EXPECT_EQ(n.kind, usage_json::root::count);
  EXPECT_EQ(n.root_count, 2095);
  EXPECT_EQ(read_ok("-1").root_count, std::nullopt);
  EXPECT_EQ(read_ok("null").kind, usage_json::root::other);
  EXPECT_EQ(read_ok("[1,2]").kind, usage_json::root::other);
  EXPECT_EQ(read_ok(R"({"type":"overloaded_error"})").type, "overloaded_error");
}

TEST(UsageJson, EscapesAreDecodedInKeptStringsAndKeys) {
  std::cout << "checks: escapes in a kept string and in a key are decoded (\\u, surrogate pairs, \\\", \\/); "
               "escapes in skipped strings (\\n too) are stepped over\n";
  const auto j = read_ok(
      R"({"skip":"a\"b\\c\n\u00e9","t\u0079pe":"x\/y \u00e9\ud83c\udf24","error":{"type":"e\"1"}})");
  EXPECT_EQ(j.type, "x/y \xC3\xA9\xF0\x9F\x8C\xA4");
  EXPECT_TRUE(j.has_error_type);
  EXPECT_EQ(j.error_type, "e\"1");
  EXPECT_EQ(read_ok(R"("\ud800x")").root_string, "\xEF\xBF\xBDx");  // a lone surrogate
  EXPECT_EQ(read_ok(R"("\ud800\u0041")").root_string, "\xEF\xBF\xBD" "A");  // not followed by a low one
}

TEST(UsageJson, RepeatedKeysLastWins) {
  std::cout << "checks: a repeated key: its last value counts, whatever its type (null, object, string, number)\n";
  const auto j = read_ok(R"({"type":"a","type":"message_delta","usage":{"output_tokens":1,"output_tokens":2}})");
  EXPECT_EQ(j.type, "message_delta");
  EXPECT_EQ(j.usage.output_tokens, 2);
  EXPECT_EQ(read_ok(R"({"usage":{"output_tokens":5,"output_tokens":null}})").usage.output_tokens, std::nullopt);
  EXPECT_EQ(read_ok(R"({"usage":{"output_tokens":5},"usage":null})").usage.output_tokens, std::nullopt);
  EXPECT_EQ(read_ok(R"({"usage":{"output_tokens":5},"usage":{"input_tokens":1}})").usage.output_tokens,
            std::nullopt);
  EXPECT_EQ(read_ok(R"({"type":"a","type":7})").type, "");
  const auto m = read_ok(R"({"message":{"model":"a","model":null}})");
  EXPECT_FALSE(m.has_message_model);
  EXPECT_EQ(m.message_model, "");
  const auto msg = read_ok(R"({"message":{"model":"a","usage":{"input_tokens":3}},"message":{}})");
  EXPECT_FALSE(msg.has_message_model);
  EXPECT_EQ(msg.message_usage.input_tokens, std::nullopt);
  const auto split = read_ok(
      R"({"cache_creation":{"ephemeral_5m_input_tokens":4,"ephemeral_1h_input_tokens":5},"cache_creation":{}})");
  EXPECT_EQ(split.counts.cache_creation_5m_input_tokens, std::nullopt);
  EXPECT_EQ(split.counts.cache_creation_1h_input_tokens, std::nullopt);
  const auto err = read_ok(R"({"error":{"type":"overloaded_error"},"error":"gone"})");
  EXPECT_FALSE(err.has_error_type);
}

TEST(UsageJson, KeptStringsAreCleanText) {
  std::cout << "checks: a kept string with bad UTF-8 or a control character (raw or escaped) is refused; "
               "the same in a string passed over is not looked at; a cut never splits a UTF-8 sequence\n";
  usage_json j;
  EXPECT_FALSE(j.read("{\"type\":\"a\xFF" "b\"}"));         // not UTF-8
  EXPECT_FALSE(j.read("{\"type\":\"a\xC0\xAF" "b\"}"));     // overlong
  EXPECT_FALSE(j.read("{\"type\":\"\xED\xA0\x80\"}"));    // a surrogate in UTF-8
  EXPECT_FALSE(j.read("{\"type\":\"\xE2\x82\"}"));         // cut short
  EXPECT_FALSE(j.read("{\"type\":\"a\x01" "b\"}"));         // raw control byte
  EXPECT_FALSE(j.read(R"({"message":{"model":"a\nb"}})"));   // escaped newline: log injection
  EXPECT_FALSE(j.read(R"({"error":{"type":"a\u0000"}})"));
  EXPECT_TRUE(j.read("{\"id\":\"a\xFF\x01" "b\\n\",\"type\":\"caf\xC3\xA9 \xF0\x9F\x8C\xA4\"}"));
  EXPECT_EQ(j.type, "caf\xC3\xA9 \xF0\x9F\x8C\xA4");
  // 255 ASCII bytes then a 2-byte character: the cut at 256 drops the whole character.
  ASSERT_TRUE(j.read("\"" + std::string(255, 'm') + "\xC3\xA9xyz\""));
  EXPECT_EQ(j.root_string, std::string(255, 'm'));
}

TEST(UsageJson, NegativeZeroIsZero) {
  std::cout << "checks: -0 counts as 0, as a document parser reads it; -0.0 is not a count\n";
  EXPECT_EQ(read_ok(R"({"usage":{"output_tokens":-0}})").usage.output_tokens, 0);
  EXPECT_EQ(read_ok(R"({"usage":{"output_tokens":-0.0}})").usage.output_tokens, std::nullopt);
}

TEST(UsageJson, LongStringsAreCut) {
  std::cout << "checks: a model longer than 256 bytes is cut at 256; a long unknown key is not a known one\n";
  const std::string model(1000, 'm');
  EXPECT_EQ(read_ok("\"" + model + "\"").root_string, std::string(256, 'm'));
  const auto j = read_ok(R"({"usage_______________________________________":{"output_tokens":5}})");
  EXPECT_EQ(j.usage.output_tokens, std::nullopt);
}

TEST(UsageJson, InvalidTextIsRefused) {
  std::cout << "checks: broken JSON, trailing bytes, bad escapes, bad numbers and 33 levels of nesting are refused\n";
  usage_json j;
  for (std::string_view bad :
       {"", " ", "{", "}", R"({"a":1,})", R"({"a" 1})", R"({"a":1}x)", R"({"a":01})", R"({"a":-})", R"({"a":1.})",
        R"({"a":1e})", R"({"a":tru})", R"({"a":"\x"})", R"({"a":"\u12G4"})", R"({"a":"open)", R"([1,])", "[1 2]",
        R"({1:2})", "nul", "+1", ".5"}) {
    EXPECT_FALSE(j.read(bad)) << bad;
  }
  EXPECT_TRUE(j.read(std::string(32, '[') + std::string(32, ']')));
  EXPECT_FALSE(j.read(std::string(33, '[') + std::string(33, ']')));
  EXPECT_TRUE(j.read(R"( {"a" : [ 1 , -2.5e+3 , true , false , null , {} , [] , "" ] } )"));
}

TEST(UsageJson, ReadForgetsTheLastText) {
  std::cout << "checks: a second read() starts from nothing\n";
  usage_json j;
  ASSERT_TRUE(j.read(R"({"type":"message_start","message":{"model":"m","usage":{"input_tokens":3}}})"));
  ASSERT_TRUE(j.read(R"({"type":"ping"})"));
  EXPECT_EQ(j.type, "ping");
  EXPECT_FALSE(j.has_message_model);
  EXPECT_TRUE(j.message_model.empty());
  EXPECT_EQ(j.message_usage.input_tokens, std::nullopt);
}

}  // namespace
}  // namespace passgate::usage

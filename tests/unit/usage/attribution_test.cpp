// Attribution: metadata.user_id in every form Claude Code and other clients
// send, garbage of every kind, the user-agent's product token, and the body
// scanned in pieces split anywhere.
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "usage/attribution.hpp"

namespace passgate::usage {
namespace {

void say(const std::string& what) { std::cout << "  checks: " << what << std::endl; }

const std::string hash64 = "3f1c9a0b7d2e4f6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a";
const std::string account = "4b1e0f9c-2d3a-4e5f-8a7b-6c5d4e3f2a1b";
const std::string session = "9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b";

TEST(attribution, legacy_claude_code_user_id) {
  say("user_<hash>_account_<uuid>_session_<uuid>: the account is the end user, the session is kept");
  auto p = parse_user_id("user_" + hash64 + "_account_" + account + "_session_" + session);
  EXPECT_EQ(p.end_user, account);
  EXPECT_EQ(p.session_id, session);
  say("with an empty account (logged in with an API key): the user hash is the end user");
  p = parse_user_id("user_" + hash64 + "_account__session_" + session);
  EXPECT_EQ(p.end_user, hash64);
  EXPECT_EQ(p.session_id, session);
}

TEST(attribution, json_claude_code_user_id) {
  say("a JSON text with device_id, account_uuid, session_id: account first, else the device");
  auto p = parse_user_id(R"({"device_id":")" + hash64 + R"(","account_uuid":")" + account +
                         R"(","session_id":")" + session + R"("})");
  EXPECT_EQ(p.end_user, account);
  EXPECT_EQ(p.session_id, session);
  p = parse_user_id(R"({"device_id":")" + hash64 + R"(","account_uuid":"","session_id":")" + session + R"("})");
  EXPECT_EQ(p.end_user, hash64);
  EXPECT_EQ(p.session_id, session);
  p = parse_user_id(R"({"session_id":")" + session + R"("})");
  EXPECT_EQ(p.end_user, "");
  EXPECT_EQ(p.session_id, session);
}

TEST(attribution, other_ids_are_kept_as_they_are_capped_and_clean) {
  say("an opaque id is the end user as sent; no session");
  auto p = parse_user_id("alice@example.com");
  EXPECT_EQ(p.end_user, "alice@example.com");
  EXPECT_EQ(p.session_id, "");
  say("look-alikes that are not the legacy shape stay opaque (bad hash, bad uuid, missing parts)");
  for (std::string id : {"user_xyz_account__session_" + session, "user_" + hash64 + "_account_nope_session_" + session,
                         "user_" + hash64 + "_session_" + session, "user_" + hash64 + "_account__session_123",
                         std::string("user_")}) {
    SCOPED_TRACE(id);
    auto q = parse_user_id(id);
    EXPECT_EQ(q.end_user, id);
    EXPECT_EQ(q.session_id, "");
  }
  say("a legacy-shaped id with a 4,000-digit hash is not that form: an opaque id, capped at 256 bytes");
  auto huge = parse_user_id("user_" + std::string(4000, 'a') + "_account__session_" + session);
  EXPECT_EQ(huge.end_user.size(), max_field_bytes);
  EXPECT_EQ(huge.session_id, "");
  say("over 256 bytes: cut to 256; control bytes and broken UTF-8 become '?'; valid UTF-8 stays");
  EXPECT_EQ(parse_user_id(std::string(1000, 'a')).end_user.size(), max_field_bytes);
  EXPECT_EQ(parse_user_id(std::string("a\x1b[31mb\n\xff", 9)).end_user, "a?[31mb??");
  EXPECT_EQ(parse_user_id("Zoë 😀").end_user, "Zoë 😀");
  std::string long_utf8;
  for (int i = 0; i < 200; ++i) long_utf8 += "é";  // 400 bytes
  auto cut = parse_user_id(long_utf8).end_user;
  EXPECT_LE(cut.size(), max_field_bytes);
  EXPECT_EQ(cut.size() % 2, 0u) << "never half a character";
  say("a JSON-looking id that is not valid JSON, or not an object, stays opaque");
  EXPECT_EQ(parse_user_id("{not json").end_user, "{not json");
  EXPECT_EQ(parse_user_id(R"({"device_id":7})").end_user, "");
  EXPECT_EQ(parse_user_id("").end_user, "");
}

TEST(attribution, client_is_the_product_token) {
  say("claude-cli/2.1.3 (external, cli) → claude-cli/2.1.3; Anthropic/JS 0.60.0 keeps its version word");
  EXPECT_EQ(client_from_user_agent("claude-cli/2.1.3 (external, cli)"), "claude-cli/2.1.3");
  EXPECT_EQ(client_from_user_agent("Anthropic/JS 0.60.0"), "Anthropic/JS 0.60.0");
  EXPECT_EQ(client_from_user_agent("Anthropic/Python 0.49.0"), "Anthropic/Python 0.49.0");
  EXPECT_EQ(client_from_user_agent("curl/8.5.0"), "curl/8.5.0");
  EXPECT_EQ(client_from_user_agent("Mozilla/5.0 (X11; Linux x86_64)"), "Mozilla/5.0");
  EXPECT_EQ(client_from_user_agent("  python-requests/2.31.0"), "python-requests/2.31.0");
  EXPECT_EQ(client_from_user_agent("OpenAI/JS"), "OpenAI/JS");
  EXPECT_EQ(client_from_user_agent(""), "");
  EXPECT_EQ(client_from_user_agent(std::string(600, 'x')).size(), max_field_bytes);
}

TEST(attribution, the_body_is_scanned_in_pieces_split_anywhere) {
  const std::string body = R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi \"metadata\" {"}],)"
                           R"("system":[{"type":"text","text":"x"}],"metadata":{"user_id":"user_)" +
                           hash64 + "_account_" + account + "_session_" + session + R"("},"max_tokens":64})";
  say("a Claude Code-shaped body split at every byte position yields the same end user and session");
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    request_attribution a;
    a.feed(std::string_view(body).substr(0, cut));
    a.feed(std::string_view(body).substr(cut));
    ASSERT_EQ(a.user().end_user, account) << cut;
    ASSERT_EQ(a.user().session_id, session) << cut;
    ASSERT_FALSE(a.wants_more());
  }
  say("one byte at a time, too; then reset() for the next request");
  request_attribution a;
  for (char c : body) a.feed(std::string_view(&c, 1));
  EXPECT_EQ(a.user().end_user, account);
  a.reset();
  EXPECT_TRUE(a.wants_more());
  EXPECT_EQ(a.user().end_user, "");
}

TEST(attribution, bodies_without_a_user_id_or_not_json_give_nothing) {
  say("no metadata, metadata without user_id, user_id not a string, a non-JSON body, an array body: no end user");
  for (std::string body : {std::string(R"({"model":"m"})"), std::string(R"({"metadata":{}})"),
                           std::string(R"({"metadata":{"user_id":42}})"), std::string(R"({"metadata":"x"})"),
                           std::string("not json at all"), std::string("[1,2,3]"), std::string("")}) {
    SCOPED_TRACE(body);
    request_attribution a;
    a.feed(body);
    EXPECT_EQ(a.user().end_user, "");
    EXPECT_EQ(a.user().session_id, "");
  }
  say("a non-JSON body stops the scan at once (nothing more is read)");
  request_attribution a;
  a.feed("garbage");
  EXPECT_FALSE(a.wants_more());
}

}  // namespace
}  // namespace passgate::usage

// Path mapping (DESIGN §1 "Paths cannot escape the route"): what is kept byte for
// byte, how the base path is prefixed, and every way out that is refused.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <string_view>

#include "policy/path_mapping.hpp"

namespace passgate::policy {
namespace {

struct accept_case {
  std::string_view base, rest, want;
};
struct refuse_case {
  std::string_view rest, reason_mentions;
};

TEST(PathMapping, NormalPathsAndQueriesAreKeptByteExact) {
  std::cout << "paths and queries mapped byte for byte, base path prefixed\n";
  for (auto [base, rest, want] : std::initializer_list<accept_case>{
           {"", "/v1/messages?beta=true", "/v1/messages?beta=true"},
           {"", "/v1/messages", "/v1/messages"},
           {"", "/v1/messages/count_tokens?beta=true", "/v1/messages/count_tokens?beta=true"},
           {"/proxy", "/v1/messages?beta=true", "/proxy/v1/messages?beta=true"},
           {"/a/b", "/v1/models", "/a/b/v1/models"},
           {"", "/v1/models/", "/v1/models/"},
           {"", "/v1/messages?", "/v1/messages?"},
           {"", "/v1/files/file_%41bc%20x", "/v1/files/file_%41bc%20x"},  // other escapes untouched
           {"", "/v1/.well-known/x", "/v1/.well-known/x"},
           {"", "/v1/.../x", "/v1/.../x"},                    // three dots: not a dot segment
           {"", "/v1/..x/x.", "/v1/..x/x."},
           {"", "/v1/a//b", "/v1/a//b"},                      // empty segment inside stays
           {"", "/v1/messages?a=1&b=%2F&c=x+y", "/v1/messages?a=1&b=%2F&c=x+y"},
       }) {
    SCOPED_TRACE(std::string(base) + " + " + std::string(rest));
    std::string out = "garbage from before";
    auto m = map_path(base, rest, out);
    EXPECT_TRUE(m.ok) << m.reason;
    EXPECT_EQ(out, want);
  }
}

TEST(PathMapping, BarePrefix) {
  std::cout << "the bare route prefix maps to the base path plus '/', the query kept\n";
  for (auto [base, rest, want] : std::initializer_list<accept_case>{
           {"", "", "/"}, {"/proxy", "", "/proxy/"}, {"", "/", "/"}, {"/proxy", "/", "/proxy/"},
           {"", "?x=1", "/?x=1"}, {"/proxy", "?x=1", "/proxy/?x=1"}}) {
    SCOPED_TRACE(std::string(base) + " + '" + std::string(rest) + "'");
    std::string out;
    auto m = map_path(base, rest, out);
    EXPECT_TRUE(m.ok) << m.reason;
    EXPECT_EQ(out, want);
  }
}

TEST(PathMapping, QueryIsOpaque) {
  std::cout << "'..', encoded dots and slashes, backslashes, '#' and bad escapes inside the query are NOT refused\n";
  for (std::string_view rest : {"/v1/messages?next=../../etc/passwd", "/v1/messages?p=/./x&q=%2e%2e",
                                "/v1/messages?p=%2f%5c\\x", "/v1/messages?p=//evil.example", "/v1/messages?p=%",
                                "/v1/messages?p=a#frag", "/v1/messages?..", "/?../.."}) {
    SCOPED_TRACE(std::string(rest));
    std::string out;
    auto m = map_path("/base", rest, out);
    EXPECT_TRUE(m.ok) << m.reason;
    EXPECT_EQ(out, "/base" + std::string(rest));
  }
}

TEST(PathMapping, EscapesAreRefused) {
  std::cout << "dot segments (plain or encoded), encoded slash/backslash, backslash, '//', fragment, bad escapes → refused\n";
  for (auto [rest, mentions] : std::initializer_list<refuse_case>{
           {"/..", "'.' or '..'"},
           {"/../etc/passwd", "'.' or '..'"},
           {"/v1/../../admin", "'.' or '..'"},
           {"/v1/..", "'.' or '..'"},
           {"/v1/../?beta=true", "'.' or '..'"},
           {"/.", "'.' or '..'"},
           {"/./v1/messages", "'.' or '..'"},
           {"/v1/./messages", "'.' or '..'"},
           {"/v1/%2e%2e/admin", "'.' or '..'"},
           {"/v1/%2E%2E/admin", "'.' or '..'"},
           {"/v1/%2E./admin", "'.' or '..'"},
           {"/v1/.%2e/admin", "'.' or '..'"},
           {"/v1/%2e/admin", "'.' or '..'"},
           {"/%2e%2e", "'.' or '..'"},
           {"/v1%2fmessages", "encoded '/'"},
           {"/v1%2Fmessages", "encoded '/'"},
           {"/v1/%2F..%2Fadmin", "encoded '/'"},
           {"/v1\\messages", "backslash"},
           {"/v1/..\\admin", "backslash"},
           {"/v1%5cmessages", "encoded backslash"},
           {"/v1%5Cmessages", "encoded backslash"},
           {"//evil.example/x", "'//'"},
           {"//", "'//'"},
           {"/v1/messages#frag", "fragment"},
           {"/v1/messages%", "percent-escape"},
           {"/v1/messages%2", "percent-escape"},
           {"/v1/messages%2?x=1", "percent-escape"},
           {"/v1/%00/x", "NUL"},
           {"http://evil.example/v1", "'/'"},
           {"v1/messages", "'/'"},
           {"@evil.example/v1", "'/'"},
       }) {
    SCOPED_TRACE(std::string(rest));
    std::string out = "untouched";
    auto m = map_path("/base", rest, out);
    EXPECT_FALSE(m.ok) << "mapped to " << out;
    EXPECT_NE(m.reason.find(mentions), std::string_view::npos) << "reason: " << m.reason;
  }
}

TEST(PathMapping, EncodedSlashOnlyWhereAllowed) {
  std::cout << "checks: a Bedrock route lets %2F stand in a model id (an ARN); dot segments stay refused either way\n";
  const std::string_view arn = "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fab12/invoke";
  std::string out;
  EXPECT_FALSE(map_path("", arn, out).ok);
  ASSERT_TRUE(map_path("", arn, out, true).ok);
  EXPECT_EQ(out, arn);
  for (std::string_view rest : {"/model/..%2F..%2Fx/invoke", "/model/a%2F..%2Fb", "/model/%2e%2e%2fx", "/model/x%2F."}) {
    SCOPED_TRACE(std::string(rest));
    auto m = map_path("", rest, out, true);
    EXPECT_FALSE(m.ok);
    EXPECT_NE(m.reason.find("'.' or '..'"), std::string_view::npos) << m.reason;
  }
}

TEST(PathMapping, QueryParamNamesAreDecoded) {
  std::cout << "checks: take_query_param finds a percent-encoded name (k%65y is key)\n";
  std::string target = "/p?k%65y=AIza-secret&a=1", value;
  EXPECT_TRUE(take_query_param(target, "key", value));
  EXPECT_EQ(target, "/p?a=1");
  EXPECT_EQ(value, "AIza-secret");
}

TEST(PathMapping, PathOnly) {
  std::cout << "path_only drops the query\n";
  EXPECT_EQ(path_only("/v1/messages?beta=true"), "/v1/messages");
  EXPECT_EQ(path_only("/v1/messages"), "/v1/messages");
  EXPECT_EQ(path_only("?x"), "");
}

}  // namespace
}  // namespace passgate::policy

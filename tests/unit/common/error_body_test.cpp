// The gateway's own error answers in each provider's shape (common/gateway_error,
// issue 15): every body parses as JSON (Boost.JSON) with the fields the header
// documents, messages are escaped, and only Bedrock's answers carry
// x-amzn-errortype.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <initializer_list>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/gateway_error.hpp"

namespace passgate {
namespace {

namespace json = boost::json;

const std::vector<gateway_error> every_error = {
    gateway_error::bad_request,        gateway_error::bad_path,          gateway_error::bad_header,
    gateway_error::unauthenticated,    gateway_error::forbidden,         gateway_error::not_found,
    gateway_error::method_not_allowed, gateway_error::body_too_large,    gateway_error::headers_too_large,
    gateway_error::not_implemented,    gateway_error::request_timeout,   gateway_error::rate_limited,
    gateway_error::budget_exceeded,    gateway_error::upstream_unreachable, gateway_error::upstream_timeout,
    gateway_error::upstream_bad_response, gateway_error::internal,       gateway_error::unavailable,
};

const std::vector<error_dialect> every_dialect = {error_dialect::anthropic, error_dialect::openai,
                                                  error_dialect::gemini, error_dialect::bedrock};

const char* name_of(error_dialect d) {
  switch (d) {
    case error_dialect::anthropic: return "anthropic";
    case error_dialect::openai: return "openai";
    case error_dialect::gemini: return "gemini";
    case error_dialect::bedrock: return "bedrock";
  }
  return "?";
}

// The body parsed; a parse failure is a test failure and gives null.
json::value parse(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  EXPECT_FALSE(ec) << "not JSON: " << body << " (" << ec.message() << ")";
  return ec ? json::value() : v;
}

std::string str(const json::value* v) {
  if (!v || !v->is_string()) return "<not a string>";
  return std::string(v->get_string());
}

// The message the body carries, wherever its dialect puts it.
std::string message_of(const json::value& v, error_dialect d) {
  if (!v.is_object()) return "<not an object>";
  const auto& o = v.get_object();
  if (d == error_dialect::bedrock) return str(o.if_contains("message"));
  const auto* e = o.if_contains("error");
  if (!e || !e->is_object()) return "<no error object>";
  return str(e->get_object().if_contains("message"));
}

TEST(ErrorBody, EveryErrorInEveryDialectHasTheDocumentedShape) {
  std::cout << "  checks: error_body(e, msg, dialect) for every error and dialect parses as JSON with exactly the "
               "documented members\n";
  for (auto d : every_dialect) {
    for (auto e : every_error) {
      SCOPED_TRACE(std::string(name_of(d)) + " error " + std::to_string(int(e)));
      const auto body = error_body(e, "something went wrong", d);
      const auto v = parse(body);
      ASSERT_TRUE(v.is_object()) << body;
      const auto& o = v.get_object();
      EXPECT_EQ(message_of(v, d), "something went wrong") << body;
      switch (d) {
        case error_dialect::anthropic: {
          EXPECT_EQ(body, error_body(e, "something went wrong"));
          EXPECT_EQ(o.size(), 2u) << body;
          EXPECT_EQ(str(o.if_contains("type")), "error");
          const auto& err = o.at("error").as_object();
          EXPECT_EQ(err.size(), 2u) << body;
          EXPECT_EQ(str(err.if_contains("type")), std::string(shape_of(e).type));
          break;
        }
        case error_dialect::openai: {
          // {"error":{"message":"…","type":"…","param":null,"code":"…"}}
          EXPECT_EQ(o.size(), 1u) << body;
          const auto& err = o.at("error").as_object();
          EXPECT_EQ(err.size(), 4u) << body;
          ASSERT_TRUE(err.contains("param"));
          EXPECT_TRUE(err.at("param").is_null()) << body;
          ASSERT_TRUE(err.at("type").is_string()) << body;
          ASSERT_TRUE(err.at("code").is_string()) << body;
          EXPECT_FALSE(err.at("type").get_string().empty());
          EXPECT_FALSE(err.at("code").get_string().empty());
          break;
        }
        case error_dialect::gemini: {
          // {"error":{"code":401,"message":"…","status":"UNAUTHENTICATED"}}
          EXPECT_EQ(o.size(), 1u) << body;
          const auto& err = o.at("error").as_object();
          EXPECT_EQ(err.size(), 3u) << body;
          ASSERT_TRUE(err.at("code").is_int64()) << body;
          EXPECT_EQ(err.at("code").get_int64(), shape_of(e).status);
          ASSERT_TRUE(err.at("status").is_string()) << body;
          const std::string status(err.at("status").get_string());
          EXPECT_FALSE(status.empty());
          for (char c : status) EXPECT_TRUE((c >= 'A' && c <= 'Z') || c == '_') << status;
          break;
        }
        case error_dialect::bedrock:
          // {"message":"…"}
          EXPECT_EQ(o.size(), 1u) << body;
          break;
      }
    }
  }
}

TEST(ErrorBody, ProviderTypesAndStatuses) {
  std::cout << "  checks: openai type/code and gemini status for the errors clients act on (401, 403, 404, 429, "
               "5xx)\n";
  auto openai = [](gateway_error e) {
    const auto v = parse(error_body(e, "m", error_dialect::openai));
    const auto& err = v.at("error");
    return std::pair{str(err.as_object().if_contains("type")), str(err.as_object().if_contains("code"))};
  };
  EXPECT_EQ(openai(gateway_error::unauthenticated), (std::pair<std::string, std::string>{"invalid_request_error", "invalid_api_key"}));
  EXPECT_EQ(openai(gateway_error::rate_limited), (std::pair<std::string, std::string>{"requests", "rate_limit_exceeded"}));
  EXPECT_EQ(openai(gateway_error::budget_exceeded),
            (std::pair<std::string, std::string>{"insufficient_quota", "insufficient_quota"}));
  EXPECT_EQ(openai(gateway_error::bad_request).first, "invalid_request_error");
  EXPECT_EQ(openai(gateway_error::internal).first, "server_error");

  auto gemini = [](gateway_error e) {
    const auto v = parse(error_body(e, "m", error_dialect::gemini));
    return str(v.at("error").as_object().if_contains("status"));
  };
  EXPECT_EQ(gemini(gateway_error::unauthenticated), "UNAUTHENTICATED");
  EXPECT_EQ(gemini(gateway_error::forbidden), "PERMISSION_DENIED");
  EXPECT_EQ(gemini(gateway_error::not_found), "NOT_FOUND");
  EXPECT_EQ(gemini(gateway_error::rate_limited), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(gemini(gateway_error::budget_exceeded), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(gemini(gateway_error::bad_request), "INVALID_ARGUMENT");
  EXPECT_EQ(gemini(gateway_error::upstream_timeout), "DEADLINE_EXCEEDED");
  EXPECT_EQ(gemini(gateway_error::unavailable), "UNAVAILABLE");
  EXPECT_EQ(gemini(gateway_error::internal), "INTERNAL");
}

TEST(ErrorBody, MessagesAreEscaped) {
  std::cout << "  checks: quotes, backslashes, newlines, tabs, control bytes and UTF-8 in the message come back "
               "unchanged after a JSON parse, in every dialect\n";
  for (const std::string& msg : {std::string("header 'x-pass-host' is \"not\" allowed"), std::string("a\\b\\\\c"),
                                std::string("line1\nline2\r\n\tindented"), std::string("ctl \x01\x1f end"),
                                std::string("caf\xc3\xa9 \xe4\xb8\x96 \xf0\x9f\x98\x80"),
                                std::string("</script>{\"type\":\"injected\"}"), std::string()}) {
    for (auto d : every_dialect) {
      SCOPED_TRACE(std::string(name_of(d)) + ": " + msg);
      const auto body = error_body(gateway_error::bad_header, msg, d);
      const auto v = parse(body);
      EXPECT_EQ(message_of(v, d), msg) << body;
      EXPECT_EQ(body.find('\n'), std::string::npos) << "a raw newline in the body: " << body;
    }
  }
}

TEST(ErrorBody, XAmznErrortypeOnlyForBedrock) {
  std::cout << "  checks: append_error_headers adds x-amzn-errortype: <Exception>\\r\\n for bedrock only, after "
               "what the head held; nothing for anthropic, openai, gemini\n";
  for (auto d : {error_dialect::anthropic, error_dialect::openai, error_dialect::gemini}) {
    for (auto e : every_error) {
      std::string head = "x-request-id: r1\r\n";
      append_error_headers(head, e, d);
      EXPECT_EQ(head, "x-request-id: r1\r\n") << name_of(d) << " " << int(e);
    }
  }
  struct tc {
    gateway_error e;
    std::string_view type;
  };
  for (const auto& [e, type] : std::initializer_list<tc>{
           {gateway_error::unauthenticated, "AccessDeniedException"},
           {gateway_error::forbidden, "AccessDeniedException"},
           {gateway_error::not_found, "ResourceNotFoundException"},
           {gateway_error::rate_limited, "ThrottlingException"},
           {gateway_error::budget_exceeded, "ServiceQuotaExceededException"},
           {gateway_error::bad_request, "ValidationException"},
           {gateway_error::bad_header, "ValidationException"},
           {gateway_error::upstream_timeout, "ModelTimeoutException"},
           {gateway_error::internal, "InternalServerException"},
           {gateway_error::unavailable, "ServiceUnavailableException"},
       }) {
    SCOPED_TRACE(std::string(type));
    std::string head = "x-request-id: r1\r\n";
    append_error_headers(head, e, error_dialect::bedrock);
    EXPECT_EQ(head, "x-request-id: r1\r\nx-amzn-errortype: " + std::string(type) + "\r\n");
  }
  std::cout << "  checks: every error gives bedrock exactly one well-formed x-amzn-errortype line ending in "
               "Exception\n";
  for (auto e : every_error) {
    std::string head;
    append_error_headers(head, e, error_dialect::bedrock);
    ASSERT_TRUE(head.starts_with("x-amzn-errortype: ")) << head;
    ASSERT_TRUE(head.ends_with("Exception\r\n")) << head;
    EXPECT_EQ(head.find("\r\n"), head.size() - 2) << head;
  }
}

}  // namespace
}  // namespace passgate

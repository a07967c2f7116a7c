#include "usage/content_type.hpp"

#include <gtest/gtest.h>

#include <iostream>

namespace passgate::usage {
namespace {

TEST(ContentType, KindIgnoresCaseAndParameters) {
  std::cout << "checks: Content-Type → body kind, case-insensitive, parameters ignored\n";
  EXPECT_EQ(kind_from_content_type("text/event-stream"), body_kind::sse);
  EXPECT_EQ(kind_from_content_type("Text/Event-Stream; charset=utf-8"), body_kind::sse);
  EXPECT_EQ(kind_from_content_type("application/json"), body_kind::json);
  EXPECT_EQ(kind_from_content_type(" APPLICATION/JSON ;charset=UTF-8"), body_kind::json);
  EXPECT_EQ(kind_from_content_type("text/html"), body_kind::other);
  EXPECT_EQ(kind_from_content_type("application/jsonl"), body_kind::other);
  EXPECT_EQ(kind_from_content_type(""), body_kind::other);
}

TEST(ContentType, EncodingFromHeader) {
  std::cout << "checks: Content-Encoding → decoder choice; lists and unknown codings unsupported\n";
  EXPECT_EQ(encoding_from_header(""), content_encoding::identity);
  EXPECT_EQ(encoding_from_header("identity"), content_encoding::identity);
  EXPECT_EQ(encoding_from_header("GZIP"), content_encoding::gzip);
  EXPECT_EQ(encoding_from_header("x-gzip"), content_encoding::gzip);
  EXPECT_EQ(encoding_from_header(" deflate "), content_encoding::deflate);
  EXPECT_EQ(encoding_from_header("br"), content_encoding::br);
  EXPECT_EQ(encoding_from_header("zstd"), content_encoding::unsupported);
  EXPECT_EQ(encoding_from_header("gzip, br"), content_encoding::unsupported);
}

}  // namespace
}  // namespace passgate::usage

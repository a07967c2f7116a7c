// The edge's head checks (RFC 9112), on their own: every Transfer-Encoding form,
// Host, obs-fold, the field count.
#include <gtest/gtest.h>

#include <iostream>
#include <vector>

#include "http/request_checks.hpp"

namespace passgate::http {
namespace {

struct head {
  std::vector<hdr::field> fields;
  unsigned version = 11;
  std::string raw;
  std::optional<head_problem> check(std::size_t max_fields = 256) const {
    return check_request_head({fields, version, raw, max_fields});
  }
};

head with(std::vector<hdr::field> extra, unsigned version = 11) {
  head h;
  h.version = version;
  if (version >= 11) h.fields.push_back({"Host", "example.test"});
  for (auto f : extra) h.fields.push_back(f);
  return h;
}

TEST(request_checks, transfer_encoding_only_exactly_chunked) {
  std::cout << "checks: chunked alone passes in any case and with spaces; every other form is refused\n";
  for (auto ok : {"chunked", "Chunked", " chunked ", "CHUNKED"}) EXPECT_FALSE(with({{"transfer-encoding", ok}}).check()) << ok;
  struct bad {
    const char* value;
    gateway_error code;
  };
  for (auto [value, code] : std::vector<bad>{{"chunked, identity", gateway_error::bad_request},
                                             {"xchunked", gateway_error::bad_request},
                                             {"identity", gateway_error::bad_request},
                                             {"", gateway_error::bad_request},
                                             {"chunked,", gateway_error::bad_request},
                                             {",chunked", gateway_error::bad_request},
                                             {"chunked;q=1", gateway_error::bad_request},
                                             {"gzip, chunked", gateway_error::not_implemented},
                                             {"chunked, chunked", gateway_error::not_implemented}}) {
    auto p = with({{"transfer-encoding", value}}).check();
    ASSERT_TRUE(p) << "'" << value << "'";
    EXPECT_EQ(p->code, code) << value;
  }
}

TEST(request_checks, transfer_encoding_twice_with_length_or_in_http10) {
  std::cout << "checks: two TE fields, TE with Content-Length, TE in HTTP/1.0 are refused\n";
  EXPECT_TRUE(with({{"transfer-encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}).check());
  EXPECT_TRUE(with({{"transfer-encoding", "chunked"}, {"content-length", "5"}}).check());
  EXPECT_TRUE(with({{"content-length", "5"}, {"transfer-encoding", "chunked"}}).check());
  EXPECT_TRUE(with({{"transfer-encoding", "chunked"}}, 10).check());
  EXPECT_FALSE(with({{"content-length", "5"}}, 10).check());
}

TEST(request_checks, host_exactly_once_in_http11) {
  std::cout << "checks: HTTP/1.1 needs one Host; two are refused; HTTP/1.0 may omit it\n";
  head none;
  auto p = none.check();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, gateway_error::bad_request);
  EXPECT_TRUE(with({{"HOST", "b"}}).check());
  EXPECT_FALSE(with({}, 10).check());
  EXPECT_TRUE(with({{"host", "a"}, {"host", "b"}}, 10).check());
}

TEST(request_checks, obs_fold_anywhere_in_the_fields) {
  std::cout << "checks: a line starting with space or tab is obs-fold, the first one included\n";
  EXPECT_TRUE(has_obs_fold("a: b\r\n c\r\n\r\n"));
  EXPECT_TRUE(has_obs_fold("a: b\r\n\tc\r\n\r\n"));
  EXPECT_TRUE(has_obs_fold(" a: b\r\n\r\n"));
  EXPECT_TRUE(has_obs_fold("a: b\n c\n\n"));
  EXPECT_FALSE(has_obs_fold("a: b c\r\nd:\te\r\n\r\n"));
  EXPECT_FALSE(has_obs_fold(""));
  auto h = with({});
  h.raw = "Host: x\r\nx: a\r\n b\r\n\r\n";
  auto p = h.check();
  ASSERT_TRUE(p);
  EXPECT_NE(std::string(p->message).find("obs-fold"), std::string::npos);
}

TEST(request_checks, field_count) {
  std::cout << "checks: more fields than the limit: headers_too_large; at the limit: fine\n";
  auto h = with({{"a", "1"}, {"b", "2"}});
  EXPECT_FALSE(h.check(3));
  auto p = h.check(2);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, gateway_error::headers_too_large);
}

}  // namespace
}  // namespace passgate::http

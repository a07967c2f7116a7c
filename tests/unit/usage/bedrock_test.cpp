// Bedrock (issue 15): the model named in a request path (bedrock_model), and the
// usage tap reading an invoke-with-response-stream answer (body_kind::eventstream
// with Anthropic's dialect): split at every byte, exceptions, the
// invocationMetrics fallback, corrupt frames, and gzip/deflate compression.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "support/eventstream_frames.hpp"
#include "usage/anthropic_usage.hpp"
#include "usage/bedrock_model.hpp"
#include "usage/bedrock_usage.hpp"
#include "usage/content_type.hpp"
#include "usage/usage_tap.hpp"
#include "unit/usage/tap_helpers.hpp"

namespace passgate::usage {
namespace {

using test_helpers::describe;
using test_helpers::feed_copy;

using test::bedrock_chunk;
using test::encode_eventstream_message;

// ---- bedrock_model ------------------------------------------------------------------

TEST(BedrockModel, ModelIdFromThePath) {
  std::cout << "  checks: bedrock_model: /model/{id}/… → the id percent-decoded, without the anthropic. vendor "
               "prefix, an inference profile's region prefix or an ARN's leading part\n";
  struct tc {
    std::string_view path, want;
  };
  for (const auto& [path, want] : std::initializer_list<tc>{
           {"/model/anthropic.claude-sonnet-4-20250514-v1:0/invoke", "claude-sonnet-4-20250514-v1:0"},
           {"/model/anthropic.claude-sonnet-4-20250514-v1%3A0/invoke", "claude-sonnet-4-20250514-v1:0"},
           {"/model/anthropic.claude-sonnet-4-20250514-v1%3a0/invoke-with-response-stream",
            "claude-sonnet-4-20250514-v1:0"},
           {"/model/anthropic.claude-3-5-haiku-20241022-v1:0/converse-stream", "claude-3-5-haiku-20241022-v1:0"},
           {"/model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/invoke", "claude-3-7-sonnet-20250219-v1:0"},
           {"/model/eu.anthropic.claude-3-7-sonnet-20250219-v1:0/invoke", "claude-3-7-sonnet-20250219-v1:0"},
           {"/model/apac.anthropic.claude-sonnet-4-20250514-v1:0/invoke", "claude-sonnet-4-20250514-v1:0"},
           {"/model/global.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream",
            "claude-sonnet-4-5-20250929-v1:0"},
           // An inference-profile ARN, as the AWS SDKs encode the {modelId} label (':' and '/' escaped).
           {"/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-7-"
            "sonnet-20250219-v1%3A0/invoke",
            "claude-3-7-sonnet-20250219-v1:0"},
           {"/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fanthropic.claude-3-haiku-20240307-v1%3A0/"
            "invoke",
            "claude-3-haiku-20240307-v1:0"},
           {"/model/arn:aws:bedrock:us-west-2:123456789012:application-inference-profile%2Fabc123xyz/invoke",
            "abc123xyz"},
           // Not Anthropic: kept as it is.
           {"/model/meta.llama3-8b-instruct-v1:0/invoke", "meta.llama3-8b-instruct-v1:0"},
           {"/model/amazon.nova-pro-v1%3A0/converse", "amazon.nova-pro-v1:0"},
           // "anthropic." elsewhere than the vendor position is not a prefix.
           {"/model/acme.notanthropic.x-v1/invoke", "acme.notanthropic.x-v1"},
           {"/model/anthropic.claude-v2", "claude-v2"},
           // No model.
           {"/v1/messages", ""},
           {"/models/anthropic.claude-v2/invoke", ""},
           {"model/anthropic.claude-v2/invoke", ""},
           {"", ""},
           {"/model/", ""},
       }) {
    SCOPED_TRACE(std::string(path));
    EXPECT_EQ(bedrock_model(path), want);
  }
  std::cout << "  checks: a bad or cut percent-escape is kept as it is; the id is at most 256 bytes\n";
  EXPECT_EQ(bedrock_model("/model/anthropic.claude%zz/invoke"), "claude%zz");
  EXPECT_EQ(bedrock_model("/model/anthropic.claude%3"), "claude%3");
  EXPECT_EQ(bedrock_model("/model/" + std::string(1000, 'm') + "/invoke").size(), 256u);
}

// ---- the tap on Bedrock's event stream ------------------------------------------------

const std::vector<std::string> stream_events = {
    R"({"type":"message_start","message":{"id":"msg_bdrk_01XyZ","type":"message","role":"assistant",)"
    R"("model":"claude-sonnet-4-20250514","content":[],"stop_reason":null,"stop_sequence":null,)"
    R"("usage":{"input_tokens":25,"cache_creation_input_tokens":7,"cache_read_input_tokens":1024,"output_tokens":1}}})",
    R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})",
    R"({"type":"ping"})",
    R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello \"world\" \u00e9"}})",
    R"({"type":"content_block_stop","index":0})",
    R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":12}})",
    // Bedrock's own counts differ here on purpose: the events' usage wins.
    R"({"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":999,"outputTokenCount":888,)"
    R"("invocationLatency":812,"firstByteLatency":402,"cacheReadInputTokenCount":777,"cacheWriteInputTokenCount":666}})",
};

std::string bedrock_stream(const std::vector<std::string>& events) {
  std::string body;
  for (const auto& e : events) body += bedrock_chunk(e);
  return body;
}

usage_result stream_usage() {
  usage_result r;
  r.model = "claude-sonnet-4-20250514";
  r.input_tokens = 25;
  r.output_tokens = 12;
  r.cache_creation_input_tokens = 7;
  r.cache_read_input_tokens = 1024;
  r.saw_usage = true;
  return r;
}



usage_result tap_pieces(std::string_view body, std::size_t piece, content_encoding enc = content_encoding::identity) {
  usage_tap tap;
  tap.start(body_kind::eventstream, enc, anthropic_dialect());
  if (piece == 0) piece = body.size() + 1;
  for (std::size_t i = 0; i < body.size(); i += piece) feed_copy(tap, body.substr(i, piece));
  tap.finish();
  return tap.result();
}

usage_result tap_split(std::string_view body, std::size_t at, content_encoding enc = content_encoding::identity) {
  usage_tap tap;
  tap.start(body_kind::eventstream, enc, anthropic_dialect());
  feed_copy(tap, body.substr(0, at));
  feed_copy(tap, body.substr(at));
  tap.finish();
  return tap.result();
}

TEST(BedrockTap, StreamGivesModelAndTokens) {
  std::cout << "  checks: a Bedrock stream of Anthropic events → model, input/output/cache tokens from the events "
               "(not invocationMetrics), nothing flagged\n";
  const auto body = bedrock_stream(stream_events);
  const auto r = tap_pieces(body, 0);
  EXPECT_EQ(r, stream_usage()) << describe(r);
}

TEST(BedrockTap, StreamSplitAtEveryByte) {
  std::cout << "  checks: the same result for the stream split in two at every offset, and fed 1 byte at a time\n";
  const auto body = bedrock_stream(stream_events);
  const auto want = stream_usage();
  for (std::size_t at = 0; at <= body.size(); ++at) {
    const auto r = tap_split(body, at);
    ASSERT_EQ(r, want) << "split at " << at << ": " << describe(r);
  }
  EXPECT_EQ(tap_pieces(body, 1), want);
  EXPECT_EQ(tap_pieces(body, 13), want);
}

TEST(BedrockTap, InvocationMetricsOnlyWhenTheEventsHadNoUsage) {
  std::cout << "  checks: events without usage → amazon-bedrock-invocationMetrics gives input, output, cache read "
               "and write; at every split\n";
  const std::vector<std::string> events = {
      R"({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[]}})",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})",
      R"({"type":"message_delta","delta":{"stop_reason":"end_turn"}})",
      R"({"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":31,"outputTokenCount":7,)"
      R"("invocationLatency":100,"firstByteLatency":50,"cacheReadInputTokenCount":5,"cacheWriteInputTokenCount":3}})",
  };
  const auto body = bedrock_stream(events);
  usage_result want;
  want.model = "claude-3-5-haiku-20241022";
  want.input_tokens = 31;
  want.output_tokens = 7;
  want.cache_read_input_tokens = 5;
  want.cache_creation_input_tokens = 3;
  want.saw_usage = true;
  for (std::size_t at = 0; at <= body.size(); ++at) {
    const auto r = tap_split(body, at);
    ASSERT_EQ(r, want) << "split at " << at << ": " << describe(r);
  }
  std::cout << "  checks: invocationMetrics without the cache counts → no cache fields\n";
  const auto plain = bedrock_stream(
      {R"({"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":4,"outputTokenCount":2}})"});
  const auto r = tap_pieces(plain, 0);
  EXPECT_EQ(r.input_tokens, 4);
  EXPECT_EQ(r.output_tokens, 2);
  EXPECT_FALSE(r.cache_read_input_tokens);
  EXPECT_FALSE(r.cache_creation_input_tokens);
  EXPECT_TRUE(r.saw_usage);
  EXPECT_FALSE(r.unparseable);
}

TEST(BedrockTap, ExceptionMessageSetsTheErrorType) {
  std::cout << "  checks: an exception message mid-stream → error_type = its :exception-type, usage read before "
               "it kept; at every split\n";
  const auto exception = encode_eventstream_message(
      {{":exception-type", "throttlingException"}, {":content-type", "application/json"},
       {":message-type", "exception"}},
      R"({"message":"Too many requests, please wait before trying again."})");
  const auto body = bedrock_chunk(stream_events[0]) + bedrock_chunk(stream_events[1]) + exception;
  for (std::size_t at = 0; at <= body.size(); ++at) {
    const auto r = tap_split(body, at);
    ASSERT_EQ(r.error_type, "throttlingException") << "split at " << at << ": " << describe(r);
    ASSERT_EQ(r.model, "claude-sonnet-4-20250514");
    ASSERT_EQ(r.input_tokens, 25);
    ASSERT_FALSE(r.unparseable) << at;
  }
  std::cout << "  checks: an error message → its :error-code; an exception without a type → \"exception\"; an "
               "Anthropic error event inside a chunk → its error.type\n";
  const auto error = encode_eventstream_message(
      {{":message-type", "error"}, {":error-code", "InternalFailure"}, {":error-message", "boom"}}, "");
  EXPECT_EQ(tap_pieces(bedrock_chunk(stream_events[0]) + error, 0).error_type, "InternalFailure");
  const auto untyped = encode_eventstream_message({{":message-type", "exception"}}, R"({"message":"?"})");
  EXPECT_EQ(tap_pieces(untyped, 0).error_type, "exception");
  const auto overloaded =
      bedrock_chunk(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  EXPECT_EQ(tap_pieces(bedrock_chunk(stream_events[0]) + overloaded, 0).error_type, "overloaded_error");
  std::cout << "  checks: a long exception type is capped at max_error_type_chars\n";
  const std::string long_type(200, 'x');
  const auto long_exception = encode_eventstream_message(
      {{":exception-type", long_type}, {":message-type", "exception"}}, "{}");
  EXPECT_EQ(tap_pieces(long_exception, 0).error_type.size(), usage_result::max_error_type_chars);
}

TEST(BedrockTap, CorruptOrCutFramesMarkUnparseable) {
  std::cout << "  checks: a frame with a flipped payload byte (CRC mismatch) → unparseable, what came before "
               "kept, later frames ignored\n";
  const auto first = bedrock_chunk(stream_events[0]);
  auto second = bedrock_chunk(stream_events[5]);  // message_delta, output 12
  second[second.size() / 2] = static_cast<char>(second[second.size() / 2] ^ 0x20);
  const auto body = first + second + bedrock_chunk(stream_events[6]);
  for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{50}}) {
    SCOPED_TRACE(piece);
    const auto r = tap_pieces(body, piece);
    EXPECT_TRUE(r.unparseable) << describe(r);
    EXPECT_EQ(r.model, "claude-sonnet-4-20250514");
    EXPECT_EQ(r.input_tokens, 25);
    EXPECT_EQ(r.output_tokens, 1) << "the corrupt message_delta and what follows must not count";
  }
  std::cout << "  checks: a stream cut inside a frame → unparseable at finish\n";
  const auto whole = bedrock_stream(stream_events);
  const auto cut = tap_pieces(std::string_view(whole).substr(0, whole.size() - 5), 0);
  EXPECT_TRUE(cut.unparseable);
  EXPECT_EQ(cut.input_tokens, 25);
  std::cout << "  checks: a chunk whose \"bytes\" is not base64, or decodes to something not JSON → unparseable\n";
  const auto not_base64 = encode_eventstream_message(
      {{":event-type", "chunk"}, {":content-type", "application/json"}, {":message-type", "event"}},
      R"({"bytes":"not*base64!","p":"abc"})");
  EXPECT_TRUE(tap_pieces(not_base64, 0).unparseable);
  EXPECT_TRUE(tap_pieces(bedrock_chunk("this is not json"), 0).unparseable);
  std::cout << "  checks: a body that is not an event stream at all (a JSON error) → unparseable, no usage\n";
  const auto json_error = tap_pieces(R"({"message":"The security token included in the request is invalid."})", 0);
  EXPECT_TRUE(json_error.unparseable);
  EXPECT_FALSE(json_error.saw_usage);
}

TEST(BedrockTap, OneTapReadsBedrockThenJsonThenBedrock) {
  std::cout << "  checks: a tap restarted between a Bedrock stream, a JSON answer and another Bedrock stream "
               "gives each body's own result\n";
  usage_tap tap;
  const auto body = bedrock_stream(stream_events);
  tap.start(body_kind::eventstream, content_encoding::identity, anthropic_dialect());
  tap.feed(body);
  tap.finish();
  EXPECT_EQ(tap.result(), stream_usage());
  tap.start(body_kind::json, content_encoding::identity, anthropic_dialect());
  tap.feed(R"({"model":"claude-opus-4-1","usage":{"input_tokens":3,"output_tokens":4}})");
  tap.finish();
  EXPECT_EQ(tap.result().model, "claude-opus-4-1");
  EXPECT_EQ(tap.result().input_tokens, 3);
  EXPECT_FALSE(tap.result().cache_read_input_tokens);
  tap.start(body_kind::eventstream, content_encoding::identity, anthropic_dialect());
  tap.feed(body.substr(0, 100));
  tap.feed(body.substr(100));
  tap.finish();
  EXPECT_EQ(tap.result(), stream_usage());
}

TEST(BedrockTap, ContentTypeIsEventstream) {
  std::cout << "  checks: kind_from_content_type: application/vnd.amazon.eventstream (any case, with parameters) "
               "→ eventstream; look-alikes → other\n";
  EXPECT_EQ(kind_from_content_type("application/vnd.amazon.eventstream"), body_kind::eventstream);
  EXPECT_EQ(kind_from_content_type("Application/VND.Amazon.EventStream"), body_kind::eventstream);
  EXPECT_EQ(kind_from_content_type(" application/vnd.amazon.eventstream ; charset=binary"), body_kind::eventstream);
  EXPECT_EQ(kind_from_content_type("application/vnd.amazon.eventstreams"), body_kind::other);
  EXPECT_EQ(kind_from_content_type("application/vnd.amazon"), body_kind::other);
  EXPECT_EQ(kind_from_content_type("application/octet-stream"), body_kind::other);
}

// ---- compressed ---------------------------------------------------------------------

// zlib with the given window bits: 15 + 16 gzip, 15 zlib, -15 raw deflate.
std::string compress(std::string_view in, int window_bits) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

TEST(BedrockTap, CompressedEventStreamSplitAtEveryByte) {
  std::cout << "  checks: a gzip (and zlib / raw deflate) compressed Bedrock stream through the tap: the plain "
               "result at every split offset and 1 byte at a time\n";
  const auto plain = bedrock_stream(stream_events);
  const auto want = stream_usage();
  struct enc {
    const char* name;
    content_encoding encoding;
    int window_bits;
  };
  for (const auto& [name, encoding, bits] : std::initializer_list<enc>{{"gzip", content_encoding::gzip, 15 + 16},
                                                                       {"deflate (zlib)", content_encoding::deflate, 15},
                                                                       {"deflate (raw)", content_encoding::deflate, -15}}) {
    SCOPED_TRACE(name);
    const auto body = compress(plain, bits);
    ASSERT_NE(body, plain);
    for (std::size_t at = 0; at <= body.size(); ++at) {
      const auto r = tap_split(body, at, encoding);
      ASSERT_EQ(r, want) << "split at " << at << ": " << describe(r);
    }
    EXPECT_EQ(tap_pieces(body, 1, encoding), want);
  }
  std::cout << "  checks: corrupt gzip bytes → unparseable\n";
  auto corrupt = compress(plain, 15 + 16);
  for (std::size_t i = corrupt.size() / 3; i < corrupt.size(); i += 7) corrupt[i] = static_cast<char>(~corrupt[i]);
  EXPECT_TRUE(tap_pieces(corrupt, 64, content_encoding::gzip).unparseable);
}

}  // namespace
}  // namespace passgate::usage

namespace passgate::usage {
namespace {

TEST(BedrockConverse, StreamMetadataEventGivesTheTokens) {
  std::cout << "  checks: converse-stream: the metadata event's camelCase usage (input, output, cache read and "
               "write) is the row's; its other events are passed over\n";
  std::string body = test::encode_eventstream_message(
      {{":event-type", "messageStart"}, {":content-type", "application/json"}, {":message-type", "event"}},
      R"({"role":"assistant","p":"abcd"})");
  body += test::encode_eventstream_message(
      {{":event-type", "contentBlockDelta"}, {":content-type", "application/json"}, {":message-type", "event"}},
      R"({"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"ab"})");
  body += test::encode_eventstream_message(
      {{":event-type", "metadata"}, {":content-type", "application/json"}, {":message-type", "event"}},
      R"({"metrics":{"latencyMs":812},"usage":{"inputTokens":40,"outputTokens":9,"cacheReadInputTokens":300,)"
      R"("cacheWriteInputTokens":12,"totalTokens":361},"p":"abc"})");
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    usage_tap tap;
    tap.start(body_kind::eventstream, content_encoding::identity, bedrock_dialect());
    test_helpers::feed_copy(tap, std::string_view(body).substr(0, cut));
    test_helpers::feed_copy(tap, std::string_view(body).substr(cut));
    tap.finish();
    const auto& r = tap.result();
    ASSERT_EQ(r.input_tokens, 40) << cut << ": " << test_helpers::describe(r);
    EXPECT_EQ(r.output_tokens, 9);
    EXPECT_EQ(r.cache_read_input_tokens, 300);
    EXPECT_EQ(r.cache_creation_input_tokens, 12);
    EXPECT_FALSE(r.unparseable);
  }
}

TEST(BedrockConverse, JsonAnswerUsageInCamelCase) {
  std::cout << "  checks: a Converse JSON answer's camelCase usage is read; an invoke answer (Anthropic's) still reads "
               "as before through the same dialect\n";
  const std::string converse =
      R"({"output":{"message":{"role":"assistant","content":[{"text":"Hi"}]}},"stopReason":"end_turn",)"
      R"("usage":{"inputTokens":25,"outputTokens":7,"totalTokens":32},"metrics":{"latencyMs":400}})";
  usage_tap tap;
  tap.start(body_kind::json, content_encoding::identity, bedrock_dialect());
  tap.feed(converse);
  tap.finish();
  EXPECT_EQ(tap.result().input_tokens, 25) << test_helpers::describe(tap.result());
  EXPECT_EQ(tap.result().output_tokens, 7);
  EXPECT_TRUE(tap.result().saw_usage);
  const std::string invoke =
      R"({"id":"msg_1","type":"message","model":"claude-haiku-4-5-20251001","content":[],)"
      R"("usage":{"input_tokens":10,"output_tokens":5}})";
  tap.start(body_kind::json, content_encoding::identity, bedrock_dialect());
  tap.feed(invoke);
  tap.finish();
  EXPECT_EQ(tap.result().model, "claude-haiku-4-5-20251001");
  EXPECT_EQ(tap.result().input_tokens, 10);
  EXPECT_EQ(tap.result().output_tokens, 5);
}

}  // namespace
}  // namespace passgate::usage

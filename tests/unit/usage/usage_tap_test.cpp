#include "usage/usage_tap.hpp"
#include "unit/usage/tap_helpers.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <cstring>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "usage/sse_reader.hpp"

namespace passgate::usage {
namespace {

using test_helpers::describe;
using test_helpers::feed_copy;

// A streamed answer with the shape the API sends: cache fields, pings, a thinking
// block with its signature, text, a tool_use block, two message_delta events.
// The thinking text quotes SSE lines (JSON-escaped, as the API writes them).
constexpr std::string_view recorded_stream =
    R"(event: message_start
data: {"type":"message_start","message":{"model":"claude-sonnet-4-5-20250929","id":"msg_01Aq9w938a90dw8q","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":2311,"cache_read_input_tokens":18047,"cache_creation":{"ephemeral_5m_input_tokens":2048,"ephemeral_1h_input_tokens":263},"output_tokens":4,"service_tier":"standard"}}}

event: ping
data: {"type": "ping"}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants the weather in Paris.\n\nevent: message_delta\ndata: {\"usage\":{\"output_tokens\":999999}}\n\n"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds+hzGq2fTMs4P3RGCgGCbXE3YaUmvyGjrXDlmGCjqsTbI3BANHx8LwnjKJExrCJj5a4IKlXEIyd+7Z1b2iEX"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"I'll check the weather"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":" in Paris for you — one moment. \u00b0C 🌤"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: content_block_start
data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"Par"}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"is, FR\", \"unit\": \"celsius\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":2}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":null,"stop_sequence":null},"usage":{"output_tokens":57}}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}

)";

usage_result recorded_stream_usage() {
  usage_result r;
  r.model = "claude-sonnet-4-5-20250929";
  r.input_tokens = 472;
  r.output_tokens = 89;
  r.cache_creation_input_tokens = 2311;
  r.cache_read_input_tokens = 18047;
  r.cache_creation_5m_input_tokens = 2048;
  r.cache_creation_1h_input_tokens = 263;
  r.saw_usage = true;
  return r;
}



usage_result tap_all(body_kind kind, std::string_view body, std::size_t piece = 0) {
  usage_tap tap(kind, content_encoding::identity);
  if (piece == 0) piece = body.size() + 1;
  for (std::size_t i = 0; i < body.size(); i += piece) feed_copy(tap, body.substr(i, piece));
  tap.finish();
  return tap.result();
}

usage_result tap_split(body_kind kind, std::string_view body, std::size_t at) {
  usage_tap tap(kind, content_encoding::identity);
  feed_copy(tap, body.substr(0, at));
  feed_copy(tap, body.substr(at));
  tap.finish();
  return tap.result();
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// The stream with its event: lines removed; readers must then use the data's "type".
std::string without_event_lines(std::string_view stream) {
  std::string out;
  std::istringstream in{std::string(stream)};
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("event:")) out += line + '\n';
  }
  return out;
}

TEST(UsageTap, RecordedStream) {
  std::cout << "checks: a recorded-shape stream gives model, cache split and the last output_tokens\n";
  const auto r = tap_all(body_kind::sse, recorded_stream);
  EXPECT_EQ(describe(r), describe(recorded_stream_usage()));
}

TEST(UsageTap, RecordedStreamSplitAtEveryByte) {
  std::cout << "checks: the same result for the stream split in two at every offset, and fed 1 byte at a time\n";
  const auto expected = recorded_stream_usage();
  for (std::size_t at = 0; at <= recorded_stream.size(); ++at) {
    ASSERT_EQ(tap_split(body_kind::sse, recorded_stream, at), expected) << "split at " << at;
  }
  EXPECT_EQ(tap_all(body_kind::sse, recorded_stream, 1), expected);
}

TEST(UsageTap, CrlfAndCrLineEnds) {
  std::cout << "checks: CRLF and CR line ends give the same result, at every split offset\n";
  const auto expected = recorded_stream_usage();
  for (const auto eol : {"\r\n", "\r"}) {
    const auto stream = replace_all(std::string(recorded_stream), "\n", eol);
    for (std::size_t at = 0; at <= stream.size(); ++at) {
      ASSERT_EQ(tap_split(body_kind::sse, stream, at), expected) << "split at " << at;
    }
  }
}

TEST(UsageTap, StreamWithoutEventLines) {
  std::cout << "checks: without event: lines the data's \"type\" identifies message_start and message_delta\n";
  const auto stream = without_event_lines(recorded_stream);
  ASSERT_EQ(stream.find("\nevent:"), std::string::npos);  // the thinking text still quotes one
  EXPECT_EQ(describe(tap_all(body_kind::sse, stream)), describe(recorded_stream_usage()));
  EXPECT_EQ(tap_all(body_kind::sse, stream, 3), recorded_stream_usage());
}

TEST(UsageTap, CommentsAndMultiLineData) {
  std::cout << "checks: comment lines and an event's JSON spread over several data: lines\n";
  const auto stream =
      ": proxy keep-alive\n"
      "event: message_start\n"
      "data: {\"type\":\"message_start\",\n"
      "data:  \"message\":{\"model\":\"claude-haiku-4-5\",\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\n"
      "\n: another comment\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":\ndata: {\"output_tokens\":33}}\n\n";
  const auto r = tap_all(body_kind::sse, stream);
  EXPECT_EQ(r.model, "claude-haiku-4-5");
  EXPECT_EQ(r.input_tokens, 9);
  EXPECT_EQ(r.output_tokens, 33);
  EXPECT_FALSE(r.unparseable);
}

TEST(UsageTap, MessageDeltaWithInputAndCacheFieldsOverrides) {
  std::cout << "checks: input/cache fields in a later message_delta override message_start; null does not\n";
  const auto stream = std::string(recorded_stream) +
                      "event: message_delta\n"
                      "data: {\"type\":\"message_delta\",\"delta\":{},\"usage\":{\"input_tokens\":480,"
                      "\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":null,\"output_tokens\":"
                      "91,\"server_tool_use\":{\"web_search_requests\":1}}}\n\n";
  auto expected = recorded_stream_usage();
  expected.input_tokens = 480;
  expected.cache_creation_input_tokens = 100;
  expected.output_tokens = 91;
  EXPECT_EQ(describe(tap_all(body_kind::sse, stream)), describe(expected));
}

TEST(UsageTap, ErrorEvent) {
  std::cout << "checks: an `event: error` mid-stream gives error_type and keeps the usage read before it\n";
  const auto stream =
      "event: message_start\n"
      "data: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-opus-4-5-20251101\",\"usage\":"
      "{\"input_tokens\":10,\"output_tokens\":1}}}\n\n"
      "event: error\n"
      "data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
  for (std::size_t at = 0; at <= std::strlen(stream); ++at) {
    const auto r = tap_split(body_kind::sse, stream, at);
    ASSERT_EQ(r.error_type, "overloaded_error") << "split at " << at;
    ASSERT_EQ(r.input_tokens, 10);
    ASSERT_EQ(r.output_tokens, 1);
    ASSERT_FALSE(r.unparseable);
  }
}

// A non-streaming answer: 1 MiB of text full of escapes and look-alike keys
// before usage, and more after it.
std::string big_json_answer() {
  std::string text;
  while (text.size() < (1u << 20)) {
    text += R"(line with \"usage\":{\"input_tokens\":999} and \\ backslashes and \u00e9\n)";
  }
  return R"({"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant",)"
         R"("model":"claude-opus-4-5-20251101","content":[{"type":"text","text":")" +
         text +
         R"("},{"type":"tool_use","id":"toolu_1","name":"save","input":{"usage":{"input_tokens":1},"model":"x"}}],)"
         R"("stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":2095,)"
         R"("cache_creation_input_tokens":0,"cache_read_input_tokens":1024,"cache_creation":)"
         R"({"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":503,)"
         R"("service_tier":"standard"},"context_management":{"applied_edits":[")" +
         text + R"("]}})";
}

usage_result big_json_answer_usage() {
  usage_result r;
  r.model = "claude-opus-4-5-20251101";
  r.input_tokens = 2095;
  r.output_tokens = 503;
  r.cache_creation_input_tokens = 0;
  r.cache_read_input_tokens = 1024;
  r.cache_creation_5m_input_tokens = 0;
  r.cache_creation_1h_input_tokens = 0;
  r.saw_usage = true;
  return r;
}

TEST(UsageTap, JsonAnswerWithBigContent) {
  std::cout << "checks: a 2 MiB JSON answer yields top-level model and usage, with bounded buffering\n";
  const auto body = big_json_answer();
  const auto expected = big_json_answer_usage();
  for (const std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, body.size()}) {
    usage_tap tap(body_kind::json, content_encoding::identity);
    std::size_t most_buffered = 0;
    for (std::size_t i = 0; i < body.size(); i += piece) {
      tap.feed(std::string_view(body).substr(i, piece));
      most_buffered = std::max(most_buffered, tap.buffered_bytes());
    }
    tap.finish();
    EXPECT_EQ(describe(tap.result()), describe(expected)) << "piece size " << piece;
    EXPECT_LT(most_buffered, 1024u) << "piece size " << piece;  // only the usage object was held
  }
}

TEST(UsageTap, SmallJsonAnswerSplitAtEveryByte) {
  std::cout << "checks: a small JSON answer split in two at every offset gives the same result\n";
  const std::string body =
      R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001",)"
      R"("content":[{"type":"text","text":"Hi \"there\"\n"}],"stop_reason":"end_turn",)"
      R"("usage":{"input_tokens":21,"cache_creation_input_tokens":5,"cache_read_input_tokens":0,)"
      R"("output_tokens":7}})";
  const auto whole = tap_all(body_kind::json, body);
  EXPECT_EQ(whole.model, "claude-haiku-4-5-20251001");
  EXPECT_EQ(whole.input_tokens, 21);
  EXPECT_EQ(whole.cache_creation_input_tokens, 5);
  EXPECT_EQ(whole.output_tokens, 7);
  EXPECT_FALSE(whole.cache_creation_5m_input_tokens.has_value());
  for (std::size_t at = 0; at <= body.size(); ++at) {
    ASSERT_EQ(tap_split(body_kind::json, body, at), whole) << "split at " << at;
  }
}

TEST(UsageTap, CountTokensAnswer) {
  std::cout << "checks: a count_tokens answer {\"input_tokens\": N} gives input_tokens\n";
  const auto r = tap_all(body_kind::json, "{\"input_tokens\": 2095}\n");
  EXPECT_EQ(r.input_tokens, 2095);
  EXPECT_TRUE(r.saw_usage);
  EXPECT_FALSE(r.output_tokens.has_value());
  EXPECT_FALSE(r.unparseable);
}

TEST(UsageTap, JsonErrorBody) {
  std::cout << "checks: a JSON error body gives error_type and no usage\n";
  const auto r = tap_all(body_kind::json,
                         R"({"type":"error","error":{"type":"rate_limit_error","message":"Number of )"
                         R"(request tokens has exceeded your per-minute rate limit"},"request_id":"req_011C"})");
  EXPECT_EQ(r.error_type, "rate_limit_error");
  EXPECT_FALSE(r.saw_usage);
  EXPECT_FALSE(r.unparseable);
}

TEST(UsageTap, OneTapReadsAnswerAfterAnswer) {
  std::cout << "checks: a tap restarted for each answer (as a connection reuses it) gives what a fresh tap gives, "
               "whatever the last answer left behind (cut short mid-event, mid-member, garbage, other kinds)\n";
  const std::string stream(recorded_stream);
  const std::string json_answer =
      R"({"id":"msg_1","type":"message","model":"claude-haiku-4-5","content":[{"type":"text","text":"hi"}],)"
      R"("usage":{"input_tokens":12,"output_tokens":3}})";
  const std::string error_body = R"({"type":"error","error":{"type":"overloaded_error","message":"busy"}})";
  struct answer {
    body_kind kind;
    std::string body;
    std::size_t cut;  // feed only this much (a body cut short)
  };
  const std::vector<answer> answers = {
      {body_kind::sse, stream, stream.size()},
      {body_kind::json, json_answer, json_answer.size()},
      {body_kind::sse, stream, 700},             // ends inside an event
      {body_kind::json, error_body, error_body.size()},
      {body_kind::json, json_answer, 100},       // ends inside a member
      {body_kind::sse, stream, stream.size()},
      {body_kind::other, "<html>", 6},
      {body_kind::json, "\x01garbage", 8},
      {body_kind::json, json_answer, json_answer.size()},
      {body_kind::sse, without_event_lines(stream), 0},
  };
  usage_tap reused;
  int n = 0;
  for (const auto& a : answers) {
    const std::string_view body = std::string_view(a.body).substr(0, a.cut ? a.cut : a.body.size());
    usage_tap fresh(a.kind, content_encoding::identity);
    reused.start(a.kind, content_encoding::identity);
    for (std::size_t i = 0; i < body.size(); i += 97) {
      fresh.feed(body.substr(i, 97));
      reused.feed(body.substr(i, 97));
    }
    fresh.finish();
    reused.finish();
    EXPECT_EQ(reused.result(), fresh.result()) << "answer " << n << ": " << describe(reused.result()) << " vs "
                                               << describe(fresh.result());
    ++n;
  }
  EXPECT_EQ(reused.buffered_bytes(), 0u);
  std::cout << "  " << n << " answers through one tap\n";
}

TEST(UsageTap, WantedEventAfterAnUnwantedOneOfSimilarName) {
  std::cout << "checks: message_start right after a skipped message_stop (17 bytes alike) is read, at every "
               "split; the remembered unwanted name never hides a wanted one\n";
  const std::string stream =
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-opus-4-5\","
      "\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":7}}\n\n";
  usage_result expected;
  expected.model = "claude-opus-4-5";
  expected.input_tokens = 5;
  expected.output_tokens = 7;
  expected.saw_usage = true;
  EXPECT_EQ(tap_all(body_kind::sse, stream), expected) << describe(tap_all(body_kind::sse, stream));
  for (std::size_t at = 0; at <= stream.size(); ++at) {
    ASSERT_EQ(tap_split(body_kind::sse, stream, at), expected) << "split at " << at;
  }
}

TEST(UsageTap, OtherBodiesAreIgnored) {
  std::cout << "checks: a body of kind other is not read and not flagged\n";
  const auto r = tap_all(body_kind::other, "<html>whatever</html>");
  EXPECT_EQ(r, usage_result{});
}

TEST(UsageTap, GarbageAndBinaryInput) {
  std::cout << "checks: random bytes and HTML as SSE or JSON are flagged unparseable, without a crash\n";
  std::mt19937 rng(42);
  std::string noise(256 * 1024, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  for (const auto kind : {body_kind::sse, body_kind::json}) {
    for (const std::size_t piece : {std::size_t{1}, std::size_t{13}, std::size_t{4096}}) {
      const auto r = tap_all(kind, noise, piece);
      EXPECT_TRUE(r.unparseable);
      EXPECT_FALSE(r.saw_usage);
    }
    EXPECT_TRUE(tap_all(kind, "<html><body><h1>502 Bad Gateway</h1></body></html>\n").unparseable);
  }
}

TEST(UsageTap, BadJsonInUsageEvent) {
  std::cout << "checks: a message_delta whose JSON is broken flags unparseable and keeps earlier usage\n";
  const auto stream =
      "event: message_start\n"
      "data: {\"type\":\"message_start\",\"message\":{\"model\":\"m\",\"usage\":{\"input_tokens\":10}}}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":\n\n";
  const auto r = tap_all(body_kind::sse, stream);
  EXPECT_TRUE(r.unparseable);
  EXPECT_EQ(r.input_tokens, 10);
  EXPECT_FALSE(r.output_tokens.has_value());
}

TEST(UsageTap, TruncatedStreamGivesPartialResults) {
  std::cout << "checks: a stream cut at any byte gives a subset of the full result, never a wrong value\n";
  const auto full = recorded_stream_usage();
  for (std::size_t cut = 0; cut <= recorded_stream.size(); ++cut) {
    const auto r = tap_all(body_kind::sse, recorded_stream.substr(0, cut));
    ASSERT_TRUE(r.input_tokens == std::nullopt || r.input_tokens == full.input_tokens) << cut;
    ASSERT_TRUE(r.output_tokens == std::nullopt || r.output_tokens == 4 || r.output_tokens == 57 ||
                r.output_tokens == 89)
        << cut;
    ASSERT_TRUE(r.model.empty() || r.model == full.model) << cut;
  }
}

TEST(UsageTap, TruncatedJsonIsFlagged) {
  std::cout << "checks: a JSON answer cut at any byte is flagged unparseable and gives only complete members\n";
  const std::string body =
      R"({"model":"claude-haiku-4-5","content":[],"usage":{"input_tokens":21,"output_tokens":7}})";
  for (std::size_t cut = 1; cut < body.size(); ++cut) {
    const auto r = tap_all(body_kind::json, std::string_view(body).substr(0, cut));
    ASSERT_TRUE(r.unparseable) << cut;
    ASSERT_TRUE(r.model.empty() || r.model == "claude-haiku-4-5") << cut;
    ASSERT_TRUE(r.input_tokens == std::nullopt || r.input_tokens == 21) << cut;
  }
}

TEST(UsageTap, OversizedEvents) {
  std::cout << "checks: oversized content events pass unflagged; an oversized usage event is flagged\n";
  const std::string big(100 * 1024, 'x');
  const auto delta = "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"" +
                     big + "\"}}";
  EXPECT_FALSE(tap_all(body_kind::sse, "event: content_block_delta\ndata: " + delta + "\n\n").unparseable);
  EXPECT_FALSE(tap_all(body_kind::sse, "data: " + delta + "\n\n").unparseable);  // unnamed: type sniffed
  const auto huge_delta = "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":5},\"pad\":\"" + big + "\"}";
  const auto r = tap_all(body_kind::sse, "event: message_delta\ndata: " + huge_delta + "\n\n");
  EXPECT_TRUE(r.unparseable);
  EXPECT_FALSE(r.output_tokens.has_value());
}

TEST(UsageTap, LongStreamKeepsMemoryBounded) {
  std::cout << "checks: 100k content_block_delta events (~20 MB) keep buffered_bytes tiny, with and without event: lines\n";
  const std::string start(recorded_stream.substr(0, recorded_stream.find("event: ping")));
  const std::string delta =
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
      "{\"type\":\"text_delta\",\"text\":\"Some streamed words of a long answer, with \\\"quotes\\\" "
      "and \\n newlines; 0123456789 abcdefghijklmnopqrstuvwxyz.\"}}\n\n";
  const std::string end =
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
      "\"usage\":{\"output_tokens\":1000000}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  for (const bool named : {true, false}) {
    usage_tap tap(body_kind::sse, content_encoding::identity);
    std::string chunk;
    std::size_t most_buffered = 0;
    const auto push = [&](const std::string& text) {
      chunk += text;
      while (chunk.size() >= 4096) {
        tap.feed(std::string_view(chunk).substr(0, 4096));
        chunk.erase(0, 4096);
        most_buffered = std::max(most_buffered, tap.buffered_bytes());
      }
    };
    const auto variant = [&](const std::string& text) { return named ? text : without_event_lines(text); };
    push(variant(start));
    const auto one_delta = variant(delta);
    for (int i = 0; i < 100'000; ++i) push(one_delta);
    push(variant(end));
    tap.feed(chunk);
    tap.finish();
    const auto& r = tap.result();
    EXPECT_EQ(r.output_tokens, 1'000'000);
    EXPECT_EQ(r.input_tokens, 472);
    EXPECT_FALSE(r.unparseable);
    // Named deltas are never buffered; unnamed ones one at a time (their type is in the data).
    EXPECT_LT(most_buffered, named ? 64u : 512u) << (named ? "named" : "unnamed");
    EXPECT_LE(most_buffered, sse_reader::max_event_bytes);
  }
}

TEST(UsageTap, FeedAfterFinishIsIgnored) {
  std::cout << "checks: bytes fed after finish() change nothing\n";
  usage_tap tap(body_kind::json, content_encoding::identity);
  tap.feed(R"({"usage":{"input_tokens":1}})");
  tap.finish();
  tap.feed("garbage");
  tap.finish();
  EXPECT_EQ(tap.result().input_tokens, 1);
  EXPECT_FALSE(tap.result().unparseable);
}

TEST(UsageTap, ModelIsBounded) {
  std::cout << "checks: an absurdly long model name is cut to max_model_chars\n";
  const auto r = tap_all(body_kind::json, "{\"model\":\"" + std::string(1000, 'm') + "\"}");
  EXPECT_EQ(r.model.size(), usage_result::max_model_chars);
}

}  // namespace
}  // namespace passgate::usage

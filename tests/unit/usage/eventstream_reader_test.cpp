#include "usage/eventstream_reader.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "support/eventstream_frames.hpp"

namespace passgate::usage {
namespace {

using test::bedrock_chunk;
using test::encode_base64;
using test::encode_eventstream_frame;
using test::encode_eventstream_message;

struct recorded_message {
  std::string message_type, event_type, exception_type, error_code, payload;
  bool operator==(const recorded_message&) const = default;
};

std::ostream& operator<<(std::ostream& os, const recorded_message& m) {
  return os << "{" << m.message_type << "," << m.event_type << "," << m.exception_type << "," << m.error_code
            << ",payload=" << m.payload.size() << " bytes}";
}

struct recorder final : eventstream_listener {
  std::vector<recorded_message> messages;
  std::vector<const char*> payload_data;  // where each payload's view pointed
  void on_message(const eventstream_message& m) override {
    messages.push_back({std::string(m.message_type), std::string(m.event_type), std::string(m.exception_type),
                        std::string(m.error_code), std::string(m.payload)});
    payload_data.push_back(m.payload.data());
  }
};

struct outcome {
  std::vector<recorded_message> messages;
  bool malformed = false;
  bool oversized = false;
};

// Feeds `body` in pieces of `piece` bytes (0: whole), then finishes.
outcome read_all(std::string_view body, std::size_t piece = 0) {
  recorder r;
  eventstream_reader reader(r);
  if (piece == 0) piece = body.size() + 1;
  for (std::size_t i = 0; i < body.size(); i += piece) {
    reader.feed(body.substr(i, piece));
    EXPECT_LE(reader.buffered_bytes(), eventstream_reader::max_message_bytes);
  }
  reader.finish();
  return {r.messages, reader.malformed(), reader.oversized()};
}

// Feeds body[0, cut) and body[cut, end) as two pieces, then finishes.
outcome read_split(std::string_view body, std::size_t cut) {
  recorder r;
  eventstream_reader reader(r);
  reader.feed(body.substr(0, cut));
  reader.feed(body.substr(cut));
  reader.finish();
  return {r.messages, reader.malformed(), reader.oversized()};
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string u32_be(std::uint32_t v) {
  std::string out;
  test::append_eventstream_u32(out, v);
  return out;
}

// A message built by hand: the given prelude lengths (with a correct prelude
// CRC), then `rest`, then a correct message CRC. For lengths that lie.
std::string frame_with_lengths(std::uint32_t total, std::uint32_t headers_length, std::string_view rest) {
  std::string out = u32_be(total) + u32_be(headers_length);
  out += u32_be(test::eventstream_crc32(out));
  out += rest;
  out += u32_be(test::eventstream_crc32(out));
  return out;
}

// The Anthropic event in a Bedrock chunk payload: {"bytes":"<base64>","p":"..."}.
std::string event_json_of(std::string_view payload) {
  constexpr std::string_view prefix = R"({"bytes":")";
  if (payload.substr(0, prefix.size()) != prefix) return "<no bytes member>";
  payload.remove_prefix(prefix.size());
  const auto quote = payload.find('"');
  if (quote == std::string_view::npos) return "<unterminated>";
  std::string json;
  if (!decode_base64(payload.substr(0, quote), json)) return "<bad base64>";
  return json;
}

// Published vectors: aws/aws-sdk-go, private/protocol/eventstream/testdata/
// encoded/{positive,negative}/* (Apache-2.0; the same suite ships with the
// other AWS SDKs' eventstream codecs), here as hex. The decoded/ files give
// the expected values: payload "{'foo':'bar'}" (eydmb28nOidiYXInfQ==), and for
// the negatives "Prelude checksum mismatch" or "Message checksum mismatch".
constexpr std::string_view foo_bar = "{'foo':'bar'}";
const std::string vector_empty_message = from_hex("000000100000000005c248eb7d98c8ff");
const std::string vector_payload_no_headers =
    from_hex("0000001d00000000fd528c5a7b27666f6f273a27626172277dc3653936");
const std::string vector_payload_one_str_header = from_hex(
    "0000003d0000002007fd83960c636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e7b27666f6f27"
    "3a27626172277d8d9c08b1");
const std::string vector_int32_header =
    from_hex("0000002d0000001041c424b80a6576656e742d74797065040000a00c7b27666f6f273a27626172277d36f480a0");
// event-type (int32 40972), content-type (string), "bool false", "bool true",
// byte (-49), "byte buf" (byte array), timestamp, int16, int64, uuid.
const std::string vector_all_headers = from_hex(
    "000000cc000000af0fae64ca0a6576656e742d74797065040000a00c0c636f6e74656e742d747970650700106170706c6963"
    "6174696f6e2f6a736f6e0a626f6f6c2066616c73650109626f6f6c207472756500046279746502cf08627974652062756606"
    "001449276d2061206c6974746c6520746561706f74210974696d657374616d70080000000000845fed05696e74313603002a"
    "05696e7436340500000000028757b20475756964090102030405060708090a0b0c0d0e0f107b27666f6f273a2762617227"
    "7daba5f10c");
const std::string vector_corrupted_header_len = from_hex(
    "0000003d0000002107fd83960c636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e7b27666f6f27"
    "3a27626172277d8d9c08b1");
const std::string vector_corrupted_headers = from_hex(
    "0000003d0000002007fd83960c636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e7b61666f6f27"
    "3a27626172277d8d9c08b1");
const std::string vector_corrupted_length = from_hex(
    "0000003e0000002007fd83960c636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e7b27666f6f27"
    "3a27626172277d8d9c08b1");
const std::string vector_corrupted_payload =
    from_hex("0000001d00000000fd528c5a5b27666f6f273a27626172277dc3653936");

const recorded_message foo_bar_message{"", "", "", "", std::string(foo_bar)};

TEST(EventstreamReader, PublishedPositiveVectorsAreRead) {
  std::cout << "checks: the aws-sdk-go eventstream test vectors (empty_message, payload_no_headers, "
               "payload_one_str_header, int32_header, all_headers) each give one message with the published "
               "payload, whole and split at every byte\n";
  const std::vector<std::pair<std::string, recorded_message>> vectors = {
      {vector_empty_message, {}},
      {vector_payload_no_headers, foo_bar_message},
      {vector_payload_one_str_header, foo_bar_message},
      {vector_int32_header, foo_bar_message},
      {vector_all_headers, foo_bar_message},
  };
  for (const auto& [bytes, expected] : vectors) {
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
      SCOPED_TRACE(testing::Message() << "size " << bytes.size() << " cut " << cut);
      const auto got = read_split(bytes, cut);
      EXPECT_FALSE(got.malformed);
      ASSERT_EQ(got.messages.size(), 1u);
      EXPECT_EQ(got.messages[0], expected);
    }
  }
}

TEST(EventstreamReader, PublishedNegativeVectorsAreMalformed) {
  std::cout << "checks: the aws-sdk-go negative vectors (corrupted_header_len, corrupted_length: prelude CRC; "
               "corrupted_headers, corrupted_payload: message CRC) give no message and malformed()\n";
  for (const auto* bytes : {&vector_corrupted_header_len, &vector_corrupted_length, &vector_corrupted_headers,
                            &vector_corrupted_payload}) {
    for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
      const auto got = read_all(*bytes, piece);
      EXPECT_TRUE(got.malformed);
      EXPECT_TRUE(got.messages.empty());
    }
  }
  // corrupted_length claims 62 bytes of the 61 present: the prelude CRC stops
  // reading at once, not the end of the body.
  recorder r;
  eventstream_reader reader(r);
  reader.feed(vector_corrupted_length);
  EXPECT_TRUE(reader.malformed());
  EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(EventstreamReader, TestEncoderReproducesPublishedVectors) {
  std::cout << "checks: tests/support/eventstream_frames.hpp encodes the published vectors byte for byte\n";
  EXPECT_EQ(encode_eventstream_frame("", ""), vector_empty_message);
  EXPECT_EQ(encode_eventstream_frame("", foo_bar), vector_payload_no_headers);
  EXPECT_EQ(encode_eventstream_message({{"content-type", "application/json"}}, foo_bar),
            vector_payload_one_str_header);
  // all_headers: its own header bytes (every value type) re-framed.
  EXPECT_EQ(encode_eventstream_frame(std::string_view(vector_all_headers).substr(12, 175), foo_bar),
            vector_all_headers);
}

TEST(EventstreamReader, OneMessageSplitAtEveryOffset) {
  std::cout << "checks: one Bedrock chunk split into two pieces at every byte offset, and fed byte by byte, "
               "gives the same message\n";
  const auto frame = bedrock_chunk(R"({"type":"ping"})");
  const auto whole = read_all(frame);
  ASSERT_EQ(whole.messages.size(), 1u);
  EXPECT_EQ(whole.messages[0].message_type, "event");
  EXPECT_EQ(whole.messages[0].event_type, "chunk");
  EXPECT_EQ(event_json_of(whole.messages[0].payload), R"({"type":"ping"})");
  for (std::size_t cut = 0; cut <= frame.size(); ++cut) {
    SCOPED_TRACE(cut);
    const auto got = read_split(frame, cut);
    EXPECT_FALSE(got.malformed);
    EXPECT_EQ(got.messages, whole.messages);
  }
  const auto bytewise = read_all(frame, 1);
  EXPECT_FALSE(bytewise.malformed);
  EXPECT_EQ(bytewise.messages, whole.messages);
}

TEST(EventstreamReader, SeveralMessagesSplitAtEveryOffsetAndPieceSize) {
  std::cout << "checks: several messages back to back (chunks, the all_headers vector, an empty message) read "
               "the same whatever the split point or piece size\n";
  const std::string body = bedrock_chunk(R"({"type":"message_start"})") + vector_all_headers +
                           encode_eventstream_frame("", "") + bedrock_chunk(R"({"type":"message_stop"})");
  const auto whole = read_all(body);
  ASSERT_EQ(whole.messages.size(), 4u);
  EXPECT_FALSE(whole.malformed);
  EXPECT_EQ(event_json_of(whole.messages[0].payload), R"({"type":"message_start"})");
  EXPECT_EQ(whole.messages[1], foo_bar_message);
  EXPECT_EQ(whole.messages[2], recorded_message{});
  EXPECT_EQ(event_json_of(whole.messages[3].payload), R"({"type":"message_stop"})");
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    SCOPED_TRACE(testing::Message() << "cut " << cut);
    const auto got = read_split(body, cut);
    EXPECT_FALSE(got.malformed);
    EXPECT_EQ(got.messages, whole.messages);
  }
  for (std::size_t piece = 1; piece <= body.size(); ++piece) {
    SCOPED_TRACE(testing::Message() << "piece " << piece);
    const auto got = read_all(body, piece);
    EXPECT_FALSE(got.malformed);
    EXPECT_EQ(got.messages, whole.messages);
  }
}

TEST(EventstreamReader, WholeMessagesAreNotCopied) {
  std::cout << "checks: a message whole in one piece is handed over as a view into that piece; one split "
               "across pieces is buffered, and the buffer is empty again after it\n";
  const std::string body = bedrock_chunk(R"({"type":"ping"})") + bedrock_chunk(R"({"type":"message_stop"})");
  recorder r;
  eventstream_reader reader(r);
  reader.feed(body);
  ASSERT_EQ(r.messages.size(), 2u);
  for (const char* data : r.payload_data) {
    EXPECT_TRUE(data >= body.data() && data < body.data() + body.size());
  }
  EXPECT_EQ(reader.buffered_bytes(), 0u);

  const auto frame = bedrock_chunk(R"({"type":"ping"})");
  const std::string first(frame.substr(0, 20)), second(frame.substr(20));
  reader.feed(first);
  EXPECT_EQ(reader.buffered_bytes(), 20u);
  reader.feed(second);
  ASSERT_EQ(r.messages.size(), 3u);
  const char* data = r.payload_data.back();
  EXPECT_FALSE(data >= second.data() && data < second.data() + second.size());
  EXPECT_EQ(reader.buffered_bytes(), 0u);
  reader.finish();
  EXPECT_FALSE(reader.malformed());
}

TEST(EventstreamReader, CorruptionInThePreludeStopsReading) {
  std::cout << "checks: a flipped bit in any of the 12 prelude bytes (lengths or prelude CRC) gives no message, "
               "malformed(), and the messages after it are not read\n";
  const auto frame = bedrock_chunk(R"({"type":"ping"})");
  const auto next = bedrock_chunk(R"({"type":"message_stop"})");
  for (std::size_t i = 0; i < 12; ++i) {
    for (std::size_t piece : {std::size_t{0}, std::size_t{3}}) {
      SCOPED_TRACE(testing::Message() << "byte " << i << " piece " << piece);
      auto bad = frame;
      bad[i] = static_cast<char>(bad[i] ^ 0x10);
      const auto got = read_all(bad + next, piece);
      EXPECT_TRUE(got.malformed);
      EXPECT_TRUE(got.messages.empty());
    }
  }
}

TEST(EventstreamReader, CorruptionInTheMessageFailsItsCrc) {
  std::cout << "checks: a flipped bit in any header, payload or message CRC byte fails the message CRC: the "
               "messages before it are read, it and those after are not\n";
  const auto before = bedrock_chunk(R"({"type":"message_start"})");
  const auto frame = bedrock_chunk(R"({"type":"ping"})");
  const auto after = bedrock_chunk(R"({"type":"message_stop"})");
  for (std::size_t i = 12; i < frame.size(); ++i) {
    for (std::size_t piece : {std::size_t{0}, std::size_t{7}}) {
      SCOPED_TRACE(testing::Message() << "byte " << i << " piece " << piece);
      auto bad = frame;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      const auto got = read_all(before + bad + after, piece);
      EXPECT_TRUE(got.malformed);
      ASSERT_EQ(got.messages.size(), 1u);
      EXPECT_EQ(event_json_of(got.messages[0].payload), R"({"type":"message_start"})");
    }
  }
}

TEST(EventstreamReader, WrongLengthsAreMalformed) {
  std::cout << "checks: lengths that cannot be (total under 16, headers longer than the message allows) are "
               "refused even with a correct prelude CRC\n";
  // total 15: shorter than an empty message.
  std::string short_total = u32_be(15) + u32_be(0);
  short_total += u32_be(test::eventstream_crc32(short_total)) + "abc";
  // headers_length 5 in a 20-byte message (room for 4).
  const auto long_headers = frame_with_lengths(20, 5, "abcd");
  // total 0 and headers 0xFFFFFFFF.
  std::string zero_total = u32_be(0) + u32_be(0);
  zero_total += u32_be(test::eventstream_crc32(zero_total)) + "abcd";
  std::string huge_headers = u32_be(100) + u32_be(0xFFFFFFFF);
  huge_headers += u32_be(test::eventstream_crc32(huge_headers)) + std::string(88, 'x');
  for (const std::string& body : {short_total, long_headers, zero_total, huge_headers}) {
    const auto got = read_all(body + vector_payload_no_headers);
    EXPECT_TRUE(got.malformed);
    EXPECT_TRUE(got.messages.empty());
  }
  // The limits themselves are fine: an empty message, and headers filling all the room.
  const auto full_headers = read_all(encode_eventstream_frame(test::encode_eventstream_string_header("a", "b"), ""));
  EXPECT_FALSE(full_headers.malformed);
  EXPECT_EQ(full_headers.messages.size(), 1u);
}

TEST(EventstreamReader, BadHeaderEncodingIsMalformed) {
  std::cout << "checks: headers that run past their section or use an undefined value type are refused even "
               "with correct CRCs\n";
  const std::vector<std::string> bad_headers = {
      std::string("\x01x\x07\xff\xff" "abc", 8),  // string value longer than the section
      std::string("\x01x\x07\x00", 4),            // string length cut short
      std::string("\x01x\x04\x00\x00", 5),        // int32 cut short
      std::string("\x01x\x09" "0123456789", 13),  // uuid cut short
      std::string("\x05x", 2),                    // name longer than the section
      std::string("\x01x", 2),                    // no type byte
      std::string("\x01x\x0a", 3),                // type 10: not defined
      std::string("\x01x\xff", 3),                // type 255
  };
  for (const auto& headers : bad_headers) {
    SCOPED_TRACE(testing::PrintToString(headers));
    const auto got = read_all(encode_eventstream_frame(headers, "payload"));
    EXPECT_TRUE(got.malformed);
    EXPECT_TRUE(got.messages.empty());
  }
}

TEST(EventstreamReader, TruncatedAtFinishIsMalformed) {
  std::cout << "checks: a body ending inside a message (at every byte short of its end) is malformed at "
               "finish(); an empty body or one ending between messages is not\n";
  const auto frame = bedrock_chunk(R"({"type":"ping"})");
  for (std::size_t cut = 1; cut < frame.size(); ++cut) {
    SCOPED_TRACE(cut);
    recorder r;
    eventstream_reader reader(r);
    reader.feed(std::string_view(frame).substr(0, cut));
    EXPECT_FALSE(reader.malformed());  // more may come
    reader.finish();
    EXPECT_TRUE(reader.malformed());
    EXPECT_TRUE(r.messages.empty());
    EXPECT_EQ(reader.buffered_bytes(), 0u);
  }
  EXPECT_FALSE(read_all("").malformed);
  const auto two = read_all(frame + frame);
  EXPECT_FALSE(two.malformed);
  EXPECT_EQ(two.messages.size(), 2u);
}

TEST(EventstreamReader, OversizedMessageIsSkippedAndTheNextRead) {
  std::cout << "checks: a message over max_message_bytes is passed over without being buffered (oversized()), "
               "the next one is still read; a corrupt oversized message is still caught by its CRC; a message "
               "of exactly max_message_bytes is read\n";
  const std::string big_payload(eventstream_reader::max_message_bytes, 'x');
  const auto big = encode_eventstream_message({{":event-type", "chunk"}, {":message-type", "event"}}, big_payload);
  const auto next = bedrock_chunk(R"({"type":"message_stop"})");
  for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{4096}, std::size_t{65537}}) {
    SCOPED_TRACE(piece);
    recorder r;
    eventstream_reader reader(r);
    const std::string body = next + big + next;
    const std::size_t step = piece == 0 ? body.size() : piece;
    for (std::size_t i = 0; i < body.size(); i += step) {
      reader.feed(std::string_view(body).substr(i, step));
      EXPECT_LE(reader.buffered_bytes(), next.size());  // never the big one
    }
    reader.finish();
    EXPECT_TRUE(reader.oversized());
    EXPECT_FALSE(reader.malformed());
    ASSERT_EQ(r.messages.size(), 2u);
    EXPECT_EQ(event_json_of(r.messages[1].payload), R"({"type":"message_stop"})");
  }

  for (const std::size_t at : {std::size_t{4}, std::size_t{100}, big.size() - 100, big.size() - 1}) {
    SCOPED_TRACE(at);
    auto bad = big;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    const auto got = read_all(bad + next, 1000);
    EXPECT_TRUE(got.malformed);
    EXPECT_TRUE(got.messages.empty());
  }

  const auto at_limit =
      encode_eventstream_frame("", std::string(eventstream_reader::max_message_bytes - 16, 'y'));
  ASSERT_EQ(at_limit.size(), eventstream_reader::max_message_bytes);
  for (std::size_t piece : {std::size_t{0}, std::size_t{1000}}) {
    const auto got = read_all(at_limit + next, piece);
    EXPECT_FALSE(got.oversized);
    EXPECT_FALSE(got.malformed);
    ASSERT_EQ(got.messages.size(), 2u);
    EXPECT_EQ(got.messages[0].payload.size(), eventstream_reader::max_message_bytes - 16);
  }
}

TEST(EventstreamReader, NonStringHeadersAreSkipped) {
  std::cout << "checks: headers of every non-string type (bool, byte, short, int, long, byte array, timestamp, "
               "uuid) are stepped over; only string headers with the four known names are reported\n";
  std::string headers;
  headers += std::string("\x04" "flag\x00", 6);                         // bool true
  headers += test::encode_eventstream_string_header(":message-type", "exception");
  headers += std::string("\x05" "flag2\x01", 7);                        // bool false
  headers += std::string("\x01" "b\x02\x07", 4);                        // byte
  headers += std::string("\x01" "s\x03\x00\x07", 5);                    // short
  headers += std::string("\x0b:event-type\x04\x00\x00\x00\x07", 17);    // int32 named :event-type: not a string
  headers += std::string("\x01" "l\x05" "12345678", 11);                // int64
  // byte array whose bytes look like a string header: must not be read as one
  const auto lookalike = test::encode_eventstream_string_header(":error-code", "nope");
  headers += std::string("\x03" "buf\x06", 5);
  headers += static_cast<char>(lookalike.size() >> 8);
  headers += static_cast<char>(lookalike.size());
  headers += lookalike;
  headers += std::string("\x02" "ts\x08" "\x00\x00\x01\x8f\x00\x00\x00\x00", 12);  // timestamp
  headers += std::string("\x04" "uuid\x09" "0123456789abcdef", 22);                // uuid
  headers += test::encode_eventstream_string_header(":exception-type", "throttlingException");
  headers += test::encode_eventstream_string_header(":content-type", "application/json");
  const auto frame = encode_eventstream_frame(headers, R"({"message":"Too many requests"})");
  for (std::size_t cut = 0; cut <= frame.size(); ++cut) {
    SCOPED_TRACE(cut);
    const auto got = read_split(frame, cut);
    EXPECT_FALSE(got.malformed);
    ASSERT_EQ(got.messages.size(), 1u);
    EXPECT_EQ(got.messages[0],
              (recorded_message{"exception", "", "throttlingException", "", R"({"message":"Too many requests"})"}));
  }
}

TEST(EventstreamReader, ExceptionAndErrorMessages) {
  std::cout << "checks: an exception message (:exception-type) and an error message (:error-code) report their "
               "type and payload\n";
  const auto exception = encode_eventstream_message(
      {{":exception-type", "throttlingException"}, {":content-type", "application/json"},
       {":message-type", "exception"}},
      R"({"message":"Too many requests, please wait before trying again."})");
  const auto error = encode_eventstream_message(
      {{":message-type", "error"}, {":error-code", "InternalFailure"}, {":error-message", "boom"}}, "");
  const auto got = read_all(bedrock_chunk(R"({"type":"ping"})") + exception + error);
  EXPECT_FALSE(got.malformed);
  ASSERT_EQ(got.messages.size(), 3u);
  EXPECT_EQ(got.messages[1], (recorded_message{"exception", "", "throttlingException", "",
                                               R"({"message":"Too many requests, please wait before trying again."})"}));
  EXPECT_EQ(got.messages[2], (recorded_message{"error", "", "", "InternalFailure", ""}));
}

TEST(EventstreamReader, BedrockAnthropicStreamDecodesToTheEvents) {
  std::cout << "checks: a Bedrock invoke-with-response-stream body of Anthropic events (message_start .. "
               "message_stop with amazon-bedrock-invocationMetrics) decodes back to each event's JSON, "
               "whatever the piece size\n";
  const std::vector<std::string> events = {
      R"({"type":"message_start","message":{"id":"msg_bdrk_01XyZ","type":"message","role":"assistant",)"
      R"("model":"claude-3-5-sonnet-20241022","content":[],"stop_reason":null,"stop_sequence":null,)"
      R"("usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}})",
      R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})",
      R"({"type":"ping"})",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}})",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", world \u00e9\u4e16!"}})",
      R"({"type":"content_block_stop","index":0})",
      R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":12}})",
      R"({"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":25,"outputTokenCount":12,)"
      R"("invocationLatency":812,"firstByteLatency":402}})",
  };
  std::string body;
  for (const auto& e : events) body += bedrock_chunk(e);
  for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{64}, std::size_t{1000}}) {
    SCOPED_TRACE(piece);
    const auto got = read_all(body, piece);
    EXPECT_FALSE(got.malformed);
    EXPECT_FALSE(got.oversized);
    ASSERT_EQ(got.messages.size(), events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(got.messages[i].message_type, "event");
      EXPECT_EQ(got.messages[i].event_type, "chunk");
      EXPECT_EQ(event_json_of(got.messages[i].payload), events[i]);
    }
    EXPECT_NE(event_json_of(got.messages.back().payload).find("\"amazon-bedrock-invocationMetrics\""),
              std::string::npos);
  }
}

TEST(EventstreamReader, BytesAfterMalformedAreIgnoredAndResetStartsAfresh) {
  std::cout << "checks: once malformed, later bytes deliver nothing; reset() clears the flags and buffer and "
               "reads a new body\n";
  recorder r;
  eventstream_reader reader(r);
  const std::string big(eventstream_reader::max_message_bytes + 1, 'z');
  reader.feed(encode_eventstream_frame("", big));  // oversized
  reader.feed("not an event stream at all");
  EXPECT_TRUE(reader.oversized());
  EXPECT_TRUE(reader.malformed());
  reader.feed(vector_payload_no_headers);
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(reader.buffered_bytes(), 0u);

  reader.reset();
  EXPECT_FALSE(reader.malformed());
  EXPECT_FALSE(reader.oversized());
  const auto frame = bedrock_chunk(R"({"type":"ping"})");
  reader.feed(std::string_view(frame).substr(0, 30));  // a partial message, then a new body
  reader.reset();
  EXPECT_EQ(reader.buffered_bytes(), 0u);
  reader.feed(vector_payload_no_headers);
  reader.finish();
  EXPECT_FALSE(reader.malformed());
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0], foo_bar_message);
}

TEST(Base64, DecodesValidInput) {
  std::cout << "checks: RFC 4648 test vectors decode, padded and unpadded; every byte value round-trips "
               "through the test encoder\n";
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},         {"Zg==", "f"},         {"Zm8=", "fo"},       {"Zm9v", "foo"},
      {"Zm9vYg==", "foob"}, {"Zm9vYmE=", "fooba"}, {"Zm9vYmFy", "foobar"},
      {"Zg", "f"},      {"Zm8", "fo"},         {"Zm9vYg", "foob"},   {"Zm9vYmE", "fooba"},
      {"+/+/", "\xfb\xff\xbf"},
  };
  for (const auto& [in, expected] : vectors) {
    SCOPED_TRACE(in);
    std::string out = "stale";
    EXPECT_TRUE(decode_base64(in, out));
    EXPECT_EQ(out, expected);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= all.size(); n += 1) {
    const auto bytes = all.substr(256 - n);
    std::string out;
    ASSERT_TRUE(decode_base64(encode_base64(bytes), out)) << n;
    EXPECT_EQ(out, bytes);
  }
  EXPECT_EQ(encode_base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(encode_base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encode_base64("foob"), "Zm9vYg==");
}

TEST(Base64, RefusesInvalidInput) {
  std::cout << "checks: characters outside the alphabet (URL-safe, whitespace, NUL), misplaced or excess "
               "padding and impossible lengths are refused\n";
  const std::vector<std::string_view> invalid = {
      "Z",    "Zm9vY", "=",     "==",    "Zg=",   "Zg===", "Z===", "====", "Zg==Zg==", "Zm=v",
      "Zm9v!", "Zm 9v", "Zm9v\n", "-_-_", std::string_view("Zm\0v", 4), "Zm9vYmFy=", "Zm8=="};
  for (const auto in : invalid) {
    SCOPED_TRACE(testing::PrintToString(std::string(in)));
    std::string out;
    EXPECT_FALSE(decode_base64(in, out));
  }
}

}  // namespace
}  // namespace passgate::usage

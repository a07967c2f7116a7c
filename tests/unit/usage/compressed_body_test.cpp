#include <brotli/encode.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <iostream>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "usage/body_decoder.hpp"
#include "usage/usage_tap.hpp"

namespace passgate::usage {
namespace {

constexpr int gzip_window = 15 + 16;
constexpr int zlib_window = 15;
constexpr int raw_window = -15;

// Deflates pieces into one stream with the given wrapper (gzip, zlib or raw).
class deflater {
 public:
  explicit deflater(int window_bits) {
    if (deflateInit2(&z_, Z_BEST_SPEED, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::runtime_error("deflateInit2");
    }
  }
  ~deflater() { deflateEnd(&z_); }

  deflater& add(std::string_view in, bool last = false) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    const int flush = last ? Z_FINISH : Z_NO_FLUSH;
    int rc;
    do {
      char buffer[64 * 1024];
      z_.next_out = reinterpret_cast<Bytef*>(buffer);
      z_.avail_out = sizeof buffer;
      rc = deflate(&z_, flush);
      out_.append(buffer, sizeof buffer - z_.avail_out);
    } while (z_.avail_out == 0 || (last && rc != Z_STREAM_END));
    return *this;
  }
  std::string& bytes() { return out_; }

 private:
  z_stream z_{};
  std::string out_;
};

std::string zlib_compress(std::string_view in, int window_bits) {
  return deflater(window_bits).add(in, true).bytes();
}

std::string brotli_compress(std::string_view in) {
  std::size_t size = BrotliEncoderMaxCompressedSize(in.size());
  std::string out(size, '\0');
  if (!BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, in.size(),
                             reinterpret_cast<const std::uint8_t*>(in.data()), &size,
                             reinterpret_cast<std::uint8_t*>(out.data()))) {
    throw std::runtime_error("BrotliEncoderCompress");
  }
  out.resize(size);
  return out;
}

struct encoded {
  const char* name;
  content_encoding encoding;
  std::string bytes;
};

std::vector<encoded> all_encodings(std::string_view plain) {
  return {{"gzip", content_encoding::gzip, zlib_compress(plain, gzip_window)},
          {"deflate (zlib)", content_encoding::deflate, zlib_compress(plain, zlib_window)},
          {"deflate (raw)", content_encoding::deflate, zlib_compress(plain, raw_window)},
          {"br", content_encoding::br, brotli_compress(plain)}};
}

usage_result tap_split(body_kind kind, const encoded& body, std::size_t at) {
  usage_tap tap(kind, body.encoding);
  tap.feed(std::string_view(body.bytes).substr(0, at));
  tap.feed(std::string_view(body.bytes).substr(at));
  tap.finish();
  return tap.result();
}

usage_result tap_pieces(body_kind kind, content_encoding encoding, std::string_view body,
                        std::size_t piece) {
  usage_tap tap(kind, encoding);
  for (std::size_t i = 0; i < body.size(); i += piece) tap.feed(body.substr(i, piece));
  tap.finish();
  return tap.result();
}

std::string event(std::string_view name, std::string_view data) {
  return "event: " + std::string(name) + "\ndata: " + std::string(data) + "\n\n";
}

std::string sse_stream() {
  std::string s = event("message_start",
                        R"({"type":"message_start","message":{"model":"claude-haiku-4-5-20251001","id":"msg_1",)"
                        R"("type":"message","role":"assistant","content":[],"usage":{"input_tokens":1500,)"
                        R"("cache_creation_input_tokens":700,"cache_read_input_tokens":9000,"cache_creation":)"
                        R"({"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":700},"output_tokens":2}}})");
  s += event("ping", R"({"type": "ping"})");
  s += event("content_block_start",
             R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})");
  for (int i = 0; i < 40; ++i) {
    s += event("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta",)"
                                      R"("text":"word )" + std::to_string(i) + R"(, \"quoted\"\n"}})");
  }
  s += event("content_block_stop", R"({"type":"content_block_stop","index":0})");
  s += event("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":321}})");
  s += event("message_stop", R"({"type":"message_stop"})");
  return s;
}

std::string json_answer() {
  std::string text;
  while (text.size() < 256 * 1024) text += R"(streamed text with \"escapes\" and numbers 12345\n)";
  return R"({"id":"msg_2","type":"message","model":"claude-sonnet-4-5","content":[{"type":"text","text":")" +
         text + R"("}],"usage":{"input_tokens":250000,"cache_read_input_tokens":10,"output_tokens":4000}})";
}

TEST(CompressedBody, SseInEveryEncodingSplitAtEveryByte) {
  std::cout << "checks: gzip, zlib and raw deflate, brotli SSE: same result as plain at every split offset\n";
  const auto plain = sse_stream();
  const auto expected = tap_pieces(body_kind::sse, content_encoding::identity, plain, plain.size());
  ASSERT_EQ(expected.model, "claude-haiku-4-5-20251001");
  ASSERT_EQ(expected.output_tokens, 321);
  ASSERT_EQ(expected.cache_creation_1h_input_tokens, 700);
  ASSERT_FALSE(expected.unparseable);
  for (const auto& body : all_encodings(plain)) {
    SCOPED_TRACE(body.name);
    for (std::size_t at = 0; at <= body.bytes.size(); ++at) {
      ASSERT_EQ(tap_split(body_kind::sse, body, at), expected) << "split at " << at;
    }
    EXPECT_EQ(tap_pieces(body_kind::sse, body.encoding, body.bytes, 1), expected);
  }
}

TEST(CompressedBody, JsonInEveryEncodingManySplits) {
  std::cout << "checks: a 256 KiB JSON answer in every encoding: same result at many split offsets and piece sizes\n";
  const auto plain = json_answer();
  const auto expected = tap_pieces(body_kind::json, content_encoding::identity, plain, plain.size());
  ASSERT_EQ(expected.model, "claude-sonnet-4-5");
  ASSERT_EQ(expected.input_tokens, 250000);
  ASSERT_EQ(expected.output_tokens, 4000);
  for (const auto& body : all_encodings(plain)) {
    SCOPED_TRACE(body.name);
    const auto step = std::max<std::size_t>(1, body.bytes.size() / 300);
    for (std::size_t at = 0; at <= body.bytes.size(); at += step) {
      ASSERT_EQ(tap_split(body_kind::json, body, at), expected) << "split at " << at;
    }
    for (const std::size_t piece : {std::size_t{1}, std::size_t{100}, std::size_t{4096}}) {
      EXPECT_EQ(tap_pieces(body_kind::json, body.encoding, body.bytes, piece), expected) << piece;
    }
  }
}

TEST(CompressedBody, CorruptAndTruncatedData) {
  std::cout << "checks: corrupt compressed bytes flag unparseable; a cut stream gives a partial result; no crash\n";
  const auto plain = sse_stream();
  for (auto body : all_encodings(plain)) {
    SCOPED_TRACE(body.name);
    auto corrupt = body.bytes;
    for (std::size_t i = corrupt.size() / 3; i < corrupt.size(); i += 7) corrupt[i] = static_cast<char>(~corrupt[i]);
    EXPECT_TRUE(tap_pieces(body_kind::sse, body.encoding, corrupt, 64).unparseable);
    // Corrupt input keeps nothing of the body: the same whole or in pieces (found by the usage fuzzer).
    EXPECT_EQ(tap_pieces(body_kind::sse, body.encoding, corrupt, 64), tap_pieces(body_kind::sse, body.encoding, corrupt, 1));
    if (body.encoding != content_encoding::identity)
      EXPECT_FALSE(tap_pieces(body_kind::sse, body.encoding, corrupt, 64).input_tokens.has_value());

    const auto cut = tap_pieces(body_kind::sse, body.encoding,
                                std::string_view(body.bytes).substr(0, body.bytes.size() / 2), 64);
    EXPECT_EQ(cut.input_tokens, 1500);  // message_start came through
    EXPECT_FALSE(cut.output_tokens == 321);
  }
  EXPECT_TRUE(tap_pieces(body_kind::json, content_encoding::br, "definitely not brotli", 5).unparseable);
  EXPECT_TRUE(tap_pieces(body_kind::json, content_encoding::gzip, "\x1f\x8bnot really gzip", 5).unparseable);
}

TEST(CompressedBody, BytesAfterTheCompressedStreamAreIgnored) {
  std::cout << "checks: bytes after the end of a gzip stream are ignored\n";
  encoded body{"gzip", content_encoding::gzip, zlib_compress(sse_stream(), gzip_window) + "trailing junk"};
  const auto r = tap_split(body_kind::sse, body, 10);
  EXPECT_EQ(r.output_tokens, 321);
  EXPECT_FALSE(r.unparseable);
}

TEST(CompressedBody, DecompressionBombStopsAtTheCap) {
  std::cout << "checks: an 80 MiB gzip body stops decoding at 64 MiB, keeps what came before, flags unparseable\n";
  const std::string head = R"({"model":"claude-opus-4-1","content":")";
  const std::string block(1 << 20, 'a');
  deflater d(gzip_window);
  d.add(head);
  for (int i = 0; i < 80; ++i) d.add(block);
  const auto body = d.add(R"("})", true).bytes();
  ASSERT_LT(body.size(), 1u << 20);  // under 1 MiB on the wire

  const auto r = tap_pieces(body_kind::json, content_encoding::gzip, body, 16 * 1024);
  EXPECT_EQ(r.model, "claude-opus-4-1");
  EXPECT_TRUE(r.unparseable);
}

TEST(CompressedBody, DecoderDeliversExactlyUpToItsCap) {
  std::cout << "checks: body_decoder hands on exactly max_output bytes, then reports too_large (gzip and br)\n";
  const std::string zeros(4 << 20, '\0');
  for (const auto& [encoding, bytes] : {std::pair{content_encoding::gzip, zlib_compress(zeros, gzip_window)},
                                        std::pair{content_encoding::br, brotli_compress(zeros)}}) {
    std::size_t delivered = 0;
    auto decoder = make_body_decoder(encoding, [&](std::string_view s) { delivered += s.size(); }, 1 << 20);
    ASSERT_NE(decoder, nullptr);
    EXPECT_EQ(decoder->decode(bytes), body_decoder::status::too_large);
    EXPECT_EQ(delivered, std::size_t{1} << 20);
    EXPECT_EQ(decoder->decode("more"), body_decoder::status::too_large);  // sticky
    EXPECT_EQ(delivered, std::size_t{1} << 20);
  }
  std::string out;
  auto decoder = make_body_decoder(content_encoding::gzip, [&](std::string_view s) { out += s; });
  EXPECT_EQ(decoder->decode(zlib_compress("hello", gzip_window)), body_decoder::status::done);
  EXPECT_EQ(out, "hello");
  EXPECT_EQ(make_body_decoder(content_encoding::identity, [](std::string_view) {}), nullptr);
}

TEST(CompressedBody, OneTapThroughCompressedAndPlainAnswers) {
  std::cout << "checks: one tap restarted answer after answer (gzip, br, deflate, plain; one left unfinished "
               "mid-stream) gives what a fresh tap gives each time\n";
  const auto sse = sse_stream();
  const auto json = json_answer();
  usage_tap reused;
  int n = 0;
  for (int round = 0; round < 2; ++round) {
    for (const auto& body : all_encodings(round == 0 ? std::string_view(sse) : std::string_view(json))) {
      const auto kind = round == 0 ? body_kind::sse : body_kind::json;
      // Half the body, no finish(): the next start() must forget it and its decoder.
      reused.start(kind, body.encoding);
      reused.feed(std::string_view(body.bytes).substr(0, body.bytes.size() / 2));
      reused.start(kind, body.encoding);
      reused.feed(body.bytes);
      reused.finish();
      usage_tap fresh(kind, body.encoding);
      fresh.feed(body.bytes);
      fresh.finish();
      EXPECT_EQ(reused.result(), fresh.result()) << body.name;
      EXPECT_TRUE(reused.result().saw_usage) << body.name;
      reused.start(kind, content_encoding::identity);
      reused.feed(round == 0 ? std::string_view(sse) : std::string_view(json));
      reused.finish();
      EXPECT_EQ(reused.result(), fresh.result()) << body.name << " then plain";
      n += 2;
    }
  }
  std::cout << "  " << n << " answers through one tap\n";
}

TEST(CompressedBody, UnsupportedEncoding) {
  std::cout << "checks: an unsupported Content-Encoding flags unparseable once a byte arrives, not before\n";
  usage_tap tap(body_kind::sse, content_encoding::unsupported);
  tap.feed("");
  EXPECT_FALSE(tap.result().unparseable);
  tap.feed("\x28\xb5\x2f\xfd");
  tap.finish();
  EXPECT_TRUE(tap.result().unparseable);
  EXPECT_FALSE(tap.result().saw_usage);
}

}  // namespace
}  // namespace passgate::usage

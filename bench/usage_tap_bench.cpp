// Throughput of the usage tap on long answers of the API's shape, fed in chunks
// of the sizes the relay reads (state.range(0) bytes). Bytes/s counts the body
// as the tap reads it (decompressed for the gzip case).
#include <benchmark/benchmark.h>
#include <zlib.h>  // linked through pg_usage, which decodes with it

#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "usage/usage_tap.hpp"

namespace {

using passgate::usage::body_kind;
using passgate::usage::content_encoding;
using passgate::usage::usage_tap;

constexpr std::size_t body_size = 8 << 20;

std::string event(std::string_view name, std::string_view data) {
  return "event: " + std::string(name) + "\ndata: " + std::string(data) + "\n\n";
}

std::string delta(int index, std::string_view type, std::string_view field, std::string_view text) {
  return event("content_block_delta", R"({"type":"content_block_delta","index":)" + std::to_string(index) +
                                          R"(,"delta":{"type":")" + std::string(type) + R"(",")" +
                                          std::string(field) + R"(":")" + std::string(text) + R"("}})");
}

// Varied text, so that gzip compresses it about as well as real answers (~4x)
// rather than collapsing one repeated sentence.
class text_source {
 public:
  std::string words(int count) {
    static constexpr std::string_view vocabulary[] = {
        "the", "function", "returns", "a", "value", "when", "input", "is", "empty,", "\\n",
        "\\\"quoted\\\"", "std::string_view", "buffer", "parser", "we", "can", "check", "edge",
        "cases", "first;", "then", "call", "it", "with", "{", "}", "0x7f", "42", "tests", "pass."};
    std::string out;
    for (int i = 0; i < count; ++i) {
      state_ = state_ * 6364136223846793005u + 1442695040888963407u;
      out += vocabulary[(state_ >> 33) % std::size(vocabulary)];
      out += ' ';
    }
    return out;
  }
  std::string base64(std::size_t size) {
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
      state_ = state_ * 6364136223846793005u + 1442695040888963407u;
      out += alphabet[(state_ >> 33) % alphabet.size()];
    }
    return out;
  }

 private:
  std::uint64_t state_ = 1;
};

// ~8 MB: thinking with a signature, then text and tool_use input, repeated.
std::string sse_body() {
  text_source source;
  std::string s = event(
      "message_start",
      R"({"type":"message_start","message":{"model":"claude-sonnet-4-5-20250929","id":"msg_01","type":"message",)"
      R"("role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,)"
      R"("cache_creation_input_tokens":2311,"cache_read_input_tokens":18047,"cache_creation":)"
      R"({"ephemeral_5m_input_tokens":2048,"ephemeral_1h_input_tokens":263},"output_tokens":4}}})");
  s += event("ping", R"({"type": "ping"})");
  while (s.size() < body_size) {
    for (int i = 0; i < 8; ++i) s += delta(0, "thinking_delta", "thinking", source.words(12));
    s += delta(0, "signature_delta", "signature", source.base64(400));
    for (int i = 0; i < 16; ++i) s += delta(1, "text_delta", "text", source.words(10));
    for (int i = 0; i < 4; ++i) s += delta(2, "input_json_delta", "partial_json", source.words(6));
  }
  s += event("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":123456}})");
  s += event("message_stop", R"({"type":"message_stop"})");
  return s;
}

std::string json_body() {
  text_source source;
  std::string text;
  while (text.size() < body_size) text += source.words(64);
  return R"({"id":"msg_01","type":"message","role":"assistant","model":"claude-opus-4-5-20251101",)"
         R"("content":[{"type":"text","text":")" + text +
         R"("}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":2095,)"
         R"("cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":503}})";
}

std::string gzip(std::string_view in) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void run(benchmark::State& state, body_kind kind, content_encoding encoding, const std::string& wire,
         std::size_t plain_size) {
  const auto chunk = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    usage_tap tap;
    tap.start(kind, encoding);
    for (std::size_t i = 0; i < wire.size(); i += chunk) {
      tap.feed(std::string_view(wire).substr(i, chunk));
    }
    tap.finish();
    if (!tap.result().saw_usage || tap.result().unparseable) state.SkipWithError("usage not found");
    benchmark::DoNotOptimize(tap.result());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * plain_size));
  state.counters["wire_bytes"] = static_cast<double>(wire.size());
}

void BM_sse_plain(benchmark::State& state) {
  static const auto body = sse_body();
  run(state, body_kind::sse, content_encoding::identity, body, body.size());
}

void BM_sse_gzip(benchmark::State& state) {
  static const auto body = sse_body();
  static const auto wire = gzip(body);
  run(state, body_kind::sse, content_encoding::gzip, wire, body.size());
}

void BM_json_plain(benchmark::State& state) {
  static const auto body = json_body();
  run(state, body_kind::json, content_encoding::identity, body, body.size());
}

void BM_json_gzip(benchmark::State& state) {
  static const auto body = json_body();
  static const auto wire = gzip(body);
  run(state, body_kind::json, content_encoding::gzip, wire, body.size());
}

// One whole answer of the size the relay benchmark's upstream sends, read the
// way the relay reads it (one tap per connection, restarted per answer; SSE fed
// an event at a time, as chunked framing delivers it): the tap's cost per request.
std::string small_sse_event(int i, int n) {
  if (i == 0)
    return event("message_start",
                 R"({"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message",)"
                 R"("role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,)"
                 R"("stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,)"
                 R"("cache_read_input_tokens":0,"output_tokens":1,"service_tier":"standard"}}})");
  if (i == 1)
    return event("content_block_start",
                 R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})");
  if (i == 2) return event("ping", R"({"type": "ping"})");
  if (i == n - 3) return event("content_block_stop", R"({"type":"content_block_stop","index":0})");
  if (i == n - 2)
    return event("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"end_turn",)"
                                  R"("stop_sequence":null},"usage":{"output_tokens":)" +
                                      std::to_string(3 * (n - 6)) + "}}");
  if (i == n - 1) return event("message_stop", R"({"type":"message_stop"})");
  // Text of varied length, as model output comes, so that a branch predictor
  // cannot learn the line lengths by heart.
  return delta(0, "text_delta", "text", std::string(1 + (i * 37) % 61, 'a') + " relay tokens " + std::to_string(i));
}

// One answer per iteration through a tap reused as a connection reuses it.
void run_answer(benchmark::State& state, body_kind kind, const std::vector<std::string>& pieces,
                std::int64_t output_tokens) {
  usage_tap tap;
  for (auto _ : state) {
    tap.start(kind, content_encoding::identity);
    for (const auto& piece : pieces) tap.feed(piece);
    tap.finish();
    if (tap.result().output_tokens != output_tokens) state.SkipWithError("usage not found");
    benchmark::DoNotOptimize(tap.result());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_answer_sse_40_events(benchmark::State& state) {
  std::vector<std::string> events;
  for (int i = 0; i < 40; ++i) events.push_back(small_sse_event(i, 40));
  run_answer(state, body_kind::sse, events, 102);
}

void BM_answer_sse_40_events_one_piece(benchmark::State& state) {
  std::string body;
  for (int i = 0; i < 40; ++i) body += small_sse_event(i, 40);
  run_answer(state, body_kind::sse, {body}, 102);
}

void BM_answer_json_600B(benchmark::State& state) {
  const std::string body =
      R"({"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",)"
      R"("content":[{"type":"text","text":"The relay forwards bytes as they arrive. )" + std::string(300, 'x') +
      R"("}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,)"
      R"("cache_read_input_tokens":0,"output_tokens":95,"service_tier":"standard"}})";
  run_answer(state, body_kind::json, {body}, 95);
}

BENCHMARK(BM_answer_sse_40_events);
BENCHMARK(BM_answer_sse_40_events_one_piece);
BENCHMARK(BM_answer_json_600B);
BENCHMARK(BM_sse_plain)->Arg(256)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sse_gzip)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_json_plain)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_json_gzip)->Arg(4096)->Unit(benchmark::kMillisecond);

}  // namespace

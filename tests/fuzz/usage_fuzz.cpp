// The usage readers over hostile bytes: the SSE reader, the usage JSON reader
// and the usage tap (decoding gzip, deflate or br first when told to). Each is
// run on the whole body at once and again, reused, on the same bytes in
// fuzzer-chosen pieces: both runs must see the same thing (STYLE 6: correct for
// data split at any byte), within the readers' memory bounds.
//
// Input: [mode][kind][encoding][repeat][k][k piece lengths][body]
//   each option from the low nibble of its byte:
//   mode: 0 sse_reader, 1 usage_json, 2 usage_tap
//   kind (tap): 0 sse, 1 json, 2 other
//   encoding (tap): 0 identity, 1 gzip, 2 deflate, 3 br, 4 unsupported
//   repeat (sse_reader, tap): the body is sent this many times over, to reach
//   the 64 KiB caps: 0-4 once, then 3, 16, 40, 100 ... times.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.hpp"
#include "usage/body_decoder.hpp"
#include "usage/content_type.hpp"
#include "usage/sse_reader.hpp"
#include "usage/usage_json.hpp"
#include "usage/usage_result.hpp"
#include "usage/usage_tap.hpp"

namespace {

using namespace passgate;
using namespace std::string_view_literals;

// Well-formed UTF-8 with no C0 control characters (those JSON forbids raw in a
// string): what the readers keep as text. DEL and C1 controls are let through.
bool clean_text(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned c = *p;
    if (c < 0x20) return false;
    int n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
    if (n < 0 || end - p <= n) return false;
    std::uint32_t cp = n == 0 ? c : n == 1 ? c & 0x1F : n == 2 ? c & 0x0F : c & 0x07;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    static constexpr std::uint32_t min_of[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_of[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += n + 1;
  }
  return true;
}

struct event {
  std::string name, data;
  bool truncated;
  bool operator==(const event&) const = default;
};

// Wants what the tap wants (data-only events and the usage-bearing ones) and
// records what it is given.
struct recorder final : usage::sse_listener {
  std::vector<event> events;
  bool wants_event(std::string_view name) const override {
    return name.empty() || name == "message_start" || name == "message_delta" || name == "error";
  }
  void on_event(std::string_view name, std::string_view data, bool truncated) override {
    PG_FUZZ_CHECK(wants_event(name), "an event the listener did not want");
    PG_FUZZ_CHECK(data.size() <= usage::sse_reader::max_event_bytes, "an event's data passed its cap");
    events.push_back({std::string(name), std::string(data), truncated});
  }
};

constexpr std::size_t held_bound = 64 * 1024 + 1024;

void sse_reader_case(std::string_view body, const fuzz::split_plan& plan) {
  recorder whole, split;
  usage::sse_reader a(whole);
  a.feed(body);
  PG_FUZZ_CHECK(a.buffered_bytes() <= held_bound, "the SSE reader holds more than its bound");
  a.finish();

  usage::sse_reader b(split);
  b.feed("event: message_start\ndata: {\"type\":\"message_start\"}\n\nevent: ping\ndata: {}\n"sv);  // an earlier body
  b.reset();
  split.events.clear();
  fuzz::pieces pieces(body, plan);
  while (!pieces.empty()) {
    b.feed(pieces.next());
    PG_FUZZ_CHECK(b.buffered_bytes() <= held_bound, "the SSE reader holds more than its bound");
  }
  b.finish();
  PG_FUZZ_CHECK(whole.events == split.events, "the SSE reader's events depend on how the bytes were split");
  PG_FUZZ_CHECK(a.saw_unknown_field() == b.saw_unknown_field(),
                "the SSE reader's unknown field depends on how the bytes were split");
}

bool same_counts(const usage::usage_counts& a, const usage::usage_counts& b) {
  return a.input_tokens == b.input_tokens && a.output_tokens == b.output_tokens &&
         a.cache_creation_input_tokens == b.cache_creation_input_tokens &&
         a.cache_read_input_tokens == b.cache_read_input_tokens &&
         a.cache_creation_5m_input_tokens == b.cache_creation_5m_input_tokens &&
         a.cache_creation_1h_input_tokens == b.cache_creation_1h_input_tokens;
}

void usage_json_case(std::string_view text) {
  usage::usage_json fresh, reused;
  const bool ok = fresh.read(text);
  reused.read(R"({"type":"message_start","message":{"model":"claude-x","usage":{"input_tokens":5}},"usage":{"output_tokens":1},"error":{"type":"e"}})");
  PG_FUZZ_CHECK(reused.read(text) == ok, "usage_json reused answers differently");
  if (!ok) return;
  PG_FUZZ_CHECK(fresh.kind == reused.kind && fresh.type == reused.type && fresh.message_model == reused.message_model &&
                    fresh.error_type == reused.error_type && fresh.root_string == reused.root_string &&
                    fresh.root_count == reused.root_count && fresh.has_message_model == reused.has_message_model &&
                    fresh.has_error_type == reused.has_error_type && fresh.has_root_string == reused.has_root_string &&
                    same_counts(fresh.counts, reused.counts) && same_counts(fresh.usage, reused.usage) &&
                    same_counts(fresh.message_usage, reused.message_usage),
                "usage_json reused reads differently");
  PG_FUZZ_CHECK(fresh.message_model.size() <= usage::usage_json::max_model_chars, "model passed its cap");
  PG_FUZZ_CHECK(fresh.root_string.size() <= usage::usage_json::max_model_chars, "a root string passed its cap");
  PG_FUZZ_CHECK(fresh.type.size() <= usage::usage_json::max_short_chars, "type passed its cap");
  PG_FUZZ_CHECK(fresh.error_type.size() <= usage::usage_json::max_short_chars, "error type passed its cap");
  for (auto s : {fresh.type, fresh.message_model, fresh.error_type, fresh.root_string})
    PG_FUZZ_CHECK(clean_text(s), "usage_json kept a string that is not clean UTF-8 text");
}

// Whether a brotli body is complete or corrupt (not cut short).
bool brotli_stream_ends(std::string_view body) {
  auto d = usage::make_body_decoder(usage::content_encoding::br, [](std::string_view) {});
  return d && d->decode(body) != usage::body_decoder::status::ok;
}

void tap_case(std::string_view body, const fuzz::split_plan& plan, usage::body_kind kind,
              usage::content_encoding encoding) {
  usage::usage_tap tap;
  tap.start(kind, encoding);
  tap.feed(body);
  PG_FUZZ_CHECK(tap.buffered_bytes() <= held_bound, "the tap holds more than its bound");
  tap.finish();
  const usage::usage_result whole = tap.result();

  // Reused, as a connection does for its next answer, with the body in pieces.
  tap.start(kind, encoding);
  fuzz::pieces pieces(body, plan);
  while (!pieces.empty()) {
    tap.feed(pieces.next());
    PG_FUZZ_CHECK(tap.buffered_bytes() <= held_bound, "the tap holds more than its bound");
  }
  tap.finish();
  const auto& split = tap.result();
  // libbrotli hands on less of a stream that ends mid-way (in the middle of a
  // meta-block) when it was given all of it at once than when it came in pieces
  // (found by this target; the library's own behaviour, outside the tap): for a
  // cut brotli stream the tap may see less of its last events. Every complete or
  // corrupt stream, and every other encoding, must give the same result.
  if (encoding == usage::content_encoding::br && !brotli_stream_ends(body)) return;
  PG_FUZZ_CHECK(whole == split, "the tap's result depends on how the bytes were split");
  PG_FUZZ_CHECK(whole.model.size() <= usage::usage_result::max_model_chars, "model passed its cap");
  PG_FUZZ_CHECK(whole.error_type.size() <= usage::usage_result::max_error_type_chars, "error type passed its cap");
  PG_FUZZ_CHECK(clean_text(whole.model) && clean_text(whole.error_type), "the tap kept text that is not clean UTF-8");
  if (kind == usage::body_kind::other)
    PG_FUZZ_CHECK(whole == usage::usage_result{}, "the tap read a body of a kind it does not read");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr usage::body_kind kinds[] = {usage::body_kind::sse, usage::body_kind::json, usage::body_kind::other};
  static constexpr usage::content_encoding encodings[] = {
      usage::content_encoding::identity, usage::content_encoding::gzip, usage::content_encoding::deflate,
      usage::content_encoding::br, usage::content_encoding::unsupported};
  static constexpr unsigned repeats[] = {1, 1, 1, 1, 1, 3, 16, 40, 100};

  fuzz::input in(data, size);
  const unsigned mode = in.choice(3);
  const auto kind = kinds[in.choice(3)];
  const auto encoding = encodings[in.choice(5)];
  const unsigned repeat = repeats[in.choice(9)];
  const auto plan = in.plan();
  std::string body;
  for (unsigned i = 0; i < (mode == 1 ? 1 : repeat); ++i) body.append(in.rest());

  switch (mode) {
    case 0: sse_reader_case(body, plan); break;
    case 1: usage_json_case(body); break;
    default: tap_case(body, plan, kind, encoding); break;
  }
  return 0;
}

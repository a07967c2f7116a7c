#include "usage/usage_tap.hpp"

#include "usage/anthropic_usage.hpp"
#include "usage/bedrock_usage.hpp"
#include "usage/body_decoder.hpp"
#include "usage/eventstream_reader.hpp"
#include "usage/json_scanner.hpp"
#include "usage/sse_reader.hpp"

namespace passgate::usage {

struct usage_tap::impl final : sse_listener, json_member_listener, eventstream_listener {
  // Everything is reset in place: the capture buffers keep their capacity
  // (bounded by the readers) for the connection's next answer.
  void start(body_kind k, content_encoding encoding, const usage_dialect& d) {
    kind = k;
    dialect = &d;
    std::string model = std::move(result.model);
    std::string error_type = std::move(result.error_type);
    result = usage_result{};
    result.model = std::move(model);
    result.model.clear();
    result.error_type = std::move(error_type);
    result.error_type.clear();
    sse.reset();
    json.reset();
    events.reset();
    decoder.reset();
    unsupported_encoding = false;
    stopped = kind == body_kind::other;
    if (stopped || encoding == content_encoding::identity) return;
    if (encoding == content_encoding::unsupported) {
      unsupported_encoding = true;
    } else {
      decoder = make_body_decoder(encoding, [this](std::string_view plain) { read(plain); });
    }
  }

  void feed(std::string_view bytes) {
    if (stopped || bytes.empty()) return;
    if (unsupported_encoding) return give_up();
    if (!decoder) return read(bytes);
    const auto status = decoder->decode(bytes);
    if (status == body_decoder::status::corrupt) {
      // How much a decoder hands on before it notices corrupt input depends on
      // how the input was split (brotli flushes its window at each read): keep
      // nothing of such a body, so the row is the same however it arrived.
      result = usage_result{};
      give_up();
    } else if (status == body_decoder::status::too_large) {
      give_up();  // the cap is on decoded bytes: the same at any split
    }
  }

  void finish() {
    // A decoder holds ~50 KiB (window, state, output buffer): not kept while the
    // connection waits for its next request.
    decoder.reset();
    if (stopped) return;
    stopped = true;
    if (kind == body_kind::sse) {
      sse.finish();
    } else if (kind == body_kind::eventstream) {
      events.finish();
      if (events.malformed() || events.oversized()) result.unparseable = true;
    } else {
      json.finish();
      if (json.malformed()) result.unparseable = true;
    }
  }

  // Decoded body bytes.
  void read(std::string_view plain) {
    if (stopped) return;  // the decoder may still be emptying its input
    if (kind == body_kind::sse) {
      sse.feed(plain);
      if (sse.saw_unknown_field()) result.unparseable = true;
    } else if (kind == body_kind::eventstream) {
      events.feed(plain);
      if (events.malformed()) give_up();
    } else {
      json.feed(plain);
      if (json.malformed()) give_up();
    }
  }

  // Nothing more can be learnt from this body: keep what was found.
  void give_up() {
    result.unparseable = true;
    stopped = true;
  }

  bool wants_event(std::string_view name) const override { return dialect->wants_event(name); }

  void on_event(std::string_view name, std::string_view data, bool truncated) override {
    if (truncated) {
      // Only content events grow this large; one that may carry usage was lost.
      if (dialect->may_carry_usage(name, data)) result.unparseable = true;
    } else if (!dialect->apply_stream_event(name, data, result)) {
      result.unparseable = true;
    }
  }

  bool wants_member(std::string_view key) const override { return dialect->wants_member(key); }

  void on_member(std::string_view key, std::string_view raw_value, bool truncated) override {
    if (truncated || !dialect->apply_answer_member(key, raw_value, result)) result.unparseable = true;
  }

  void on_message(const eventstream_message& m) override {
    if (!apply_bedrock_message(m, *dialect, result, chunk_text)) result.unparseable = true;
  }

  body_kind kind = body_kind::other;
  const usage_dialect* dialect = &anthropic_dialect();
  usage_result result;
  sse_reader sse{*this};
  json_scanner json{*this};
  eventstream_reader events{*this};
  std::string chunk_text;  // a Bedrock chunk's decoded event
  std::unique_ptr<body_decoder> decoder;
  bool unsupported_encoding = false;
  bool stopped = true;
};

usage_tap::usage_tap() = default;
usage_tap::usage_tap(body_kind kind, content_encoding encoding) { start(kind, encoding, anthropic_dialect()); }
usage_tap::~usage_tap() = default;
usage_tap::usage_tap(usage_tap&&) noexcept = default;
usage_tap& usage_tap::operator=(usage_tap&&) noexcept = default;

void usage_tap::start(body_kind kind, content_encoding encoding) noexcept {
  start(kind, encoding, anthropic_dialect());
}

void usage_tap::start(body_kind kind, content_encoding encoding, const usage_dialect& dialect) noexcept {
  try {
    if (!impl_) {
      if (kind == body_kind::other) return;  // nothing to read, nothing to forget
      impl_ = std::make_unique<impl>();  // on first use: many connections never need one
    }
    impl_->start(kind, encoding, dialect);
  } catch (...) {  // out of memory: this body goes unread
    if (impl_) impl_->give_up();
  }
}

void usage_tap::feed(std::string_view bytes) noexcept {
  if (!impl_) return;
  try {
    impl_->feed(bytes);
  } catch (...) {  // out of memory: the relay must not notice
    impl_->give_up();
  }
}

void usage_tap::finish() noexcept {
  if (!impl_) return;
  try {
    impl_->finish();
  } catch (...) {
    impl_->give_up();
  }
}

const usage_result& usage_tap::result() const noexcept {
  static const usage_result nothing_read;
  return impl_ ? impl_->result : nothing_read;
}

std::size_t usage_tap::buffered_bytes() const noexcept {
  return impl_ ? impl_->sse.buffered_bytes() + impl_->json.buffered_bytes() + impl_->events.buffered_bytes() : 0;
}

}  // namespace passgate::usage

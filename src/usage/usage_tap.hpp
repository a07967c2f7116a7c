#pragma once
// The usage tap: reads a copy of a response body as the relay passes it on and
// finds the model, token usage and error type in it. I/O-free and bounded: it
// never holds the body, only the current wanted event or member (capped), and
// it never throws, whatever the bytes and however they are split.
//
//   usage_tap tap;  // one per connection: its memory is reused answer after answer
//   tap.start(kind_from_content_type(ct), encoding_from_header(ce), anthropic_dialect());
//   for each chunk relayed: tap.feed(chunk);
//   tap.finish();  // then tap.result(), until the next start()
#include <cstddef>
#include <memory>
#include <string_view>

#include "usage/content_type.hpp"
#include "usage/usage_dialect.hpp"
#include "usage/usage_result.hpp"

namespace passgate::usage {

class usage_tap {
 public:
  usage_tap();  // reads nothing, and holds no memory, until start()
  usage_tap(body_kind kind, content_encoding encoding);  // start()ed at once, Anthropic's answers
  ~usage_tap();
  usage_tap(usage_tap&&) noexcept;  // a moved-from tap may only be destroyed or assigned
  usage_tap& operator=(usage_tap&&) noexcept;

  // A new body: what the last one showed is forgotten. `dialect` says where
  // this provider's answers carry usage (an event stream's chunks are read with
  // it too). Without one: Anthropic's.
  void start(body_kind kind, content_encoding encoding, const usage_dialect& dialect) noexcept;
  void start(body_kind kind, content_encoding encoding) noexcept;
  void feed(std::string_view bytes) noexcept;
  // End of the body (complete or cut short); feed does nothing afterwards.
  void finish() noexcept;
  // What the body showed; valid after finish() until the next start().
  const usage_result& result() const noexcept;

  // Body bytes held right now (the wanted SSE event or JSON member being read);
  // bounded by 64 KiB plus small constants, whatever the body's length. The
  // decoder's fixed 16 KiB buffer and its own state are not counted.
  std::size_t buffered_bytes() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace passgate::usage

#pragma once
// Incremental reader of an application/vnd.amazon.eventstream body (the binary
// framing Bedrock's invoke-with-response-stream answers in), fed pieces split
// at any byte. Each message is
//
//   total_length u32 | headers_length u32 | prelude_crc u32   (big-endian)
//   headers (headers_length bytes) | payload | message_crc u32
//
// prelude_crc is the CRC-32 of the first 8 bytes, message_crc that of every
// byte before it; the smallest message (no headers, no payload) is 16 bytes.
// Both CRCs are checked: the prelude's before its lengths are trusted, so a
// body that is not an event stream at all (an HTML error page, a JSON error)
// is refused after its first 12 bytes instead of being waited on.
//
// A message that lies whole in one fed piece is handed over as a view into
// that piece, without a copy; one split across pieces is gathered into a
// buffer of at most max_message_bytes. Larger messages are passed over (their
// CRC still checked) without being kept. Bad input never throws: reading stops
// and malformed() says so.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace passgate::usage {

// One message. The views point into the fed bytes or the reader's buffer and
// are valid only during on_message().
struct eventstream_message {
  std::string_view message_type;    // ":message-type" header ("event", "exception", "error"), "" if absent
  std::string_view event_type;      // ":event-type" ("chunk")
  std::string_view exception_type;  // ":exception-type" ("throttlingException")
  std::string_view error_code;      // ":error-code" (message-type "error")
  std::string_view payload;
};

class eventstream_listener {
 public:
  // A complete message whose CRCs and headers checked out. Must not call back
  // into the reader (feed, finish, reset).
  virtual void on_message(const eventstream_message& message) = 0;

 protected:
  ~eventstream_listener() = default;
};

class eventstream_reader {
 public:
  // Bedrock's chunks are a few hundred bytes to a few KiB; a message beyond
  // this is passed over, not buffered (oversized() becomes true).
  static constexpr std::size_t max_message_bytes = 256 * 1024;

  explicit eventstream_reader(eventstream_listener& listener) : listener_(listener) {}

  void feed(std::string_view bytes);
  // End of the body: a message cut short makes malformed() true.
  void finish();
  // Ready for a new body; the buffer keeps a bounded capacity for it.
  void reset();

  // Bad lengths, a CRC mismatch, bad header encoding, or a message cut short at
  // finish(): reading stopped there and later bytes are ignored.
  bool malformed() const noexcept { return malformed_; }
  // At least one message over max_message_bytes was passed over.
  bool oversized() const noexcept { return oversized_; }
  // Bytes of the stream held now; never more than max_message_bytes.
  std::size_t buffered_bytes() const noexcept { return prelude_size_ + message_.size(); }

 private:
  static constexpr std::size_t prelude_bytes = 12;
  static constexpr std::size_t crc_bytes = 4;

  enum class phase {
    prelude,  // gathering the 12 prelude bytes into prelude_
    gather,   // gathering a message split across pieces into message_
    skip,     // passing over an oversized message, its CRC running
  };

  bool begin_message(const char* prelude);
  void start_body(std::string_view prelude);
  std::size_t skip(std::string_view bytes);
  void deliver(std::string_view message);
  void stop();
  void forget_message();

  eventstream_listener& listener_;
  phase phase_ = phase::prelude;
  bool malformed_ = false;
  bool oversized_ = false;

  char prelude_[prelude_bytes]{};
  std::size_t prelude_size_ = 0;
  std::uint32_t total_length_ = 0;  // of the message being read, once its prelude checked out

  std::string message_;  // a message split across pieces, prelude included

  // An oversized message being passed over: bytes of it read so far, the CRC
  // of those before its message_crc, and the message_crc bytes seen.
  std::uint64_t skipped_ = 0;
  std::uint32_t running_crc_ = 0;
  char trailer_[crc_bytes]{};
};

// Standard base64 (RFC 4648 alphabet, '=' padding; unpadded input is accepted
// too). Bedrock carries each chunk's JSON base64-encoded in the payload's
// "bytes" member. False on a character outside the alphabet, misplaced or
// excess padding, or a length no encoding has; `out` is then unspecified.
bool decode_base64(std::string_view in, std::string& out);

}  // namespace passgate::usage

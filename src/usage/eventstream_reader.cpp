#include "usage/eventstream_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>

namespace passgate::usage {
namespace {

constexpr std::size_t min_message_bytes = 16;  // prelude, no headers, no payload, message_crc

// A buffer that grew past this for one large message is given back after it,
// so that one big message does not pin its memory for the rest of a stream.
constexpr std::size_t kept_capacity = 4096;

std::uint32_t read_u32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

std::uint32_t update_crc(std::uint32_t crc, std::string_view bytes) {
  // zlib's crc32() takes a uInt length: a longer piece goes in several calls.
  while (!bytes.empty()) {
    const auto n = std::min<std::size_t>(bytes.size(), UINT_MAX);
    crc = static_cast<std::uint32_t>(
        ::crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(n)));
    bytes.remove_prefix(n);
  }
  return crc;
}

// Fills the string headers the listener is told about; every other header,
// whatever its type, is stepped over by its encoded size. False when a header
// runs past the headers section or has a type the format does not define.
bool read_headers(std::string_view headers, eventstream_message& m) {
  const auto* p = reinterpret_cast<const unsigned char*>(headers.data());
  const auto* const end = p + headers.size();
  const auto left = [&] { return static_cast<std::size_t>(end - p); };
  while (p != end) {
    const std::size_t name_size = *p++;
    if (left() < name_size + 1) return false;  // the name and the type byte
    const std::string_view name(reinterpret_cast<const char*>(p), name_size);
    p += name_size;
    const unsigned type = *p++;
    std::size_t value_size = 0;
    switch (type) {
      case 0:  // bool true: the type is the value
      case 1:  // bool false
        break;
      case 2: value_size = 1; break;   // byte
      case 3: value_size = 2; break;   // short
      case 4: value_size = 4; break;   // int
      case 5:                          // long
      case 8: value_size = 8; break;   // timestamp (ms since the epoch)
      case 9: value_size = 16; break;  // uuid
      case 6:                          // byte array
      case 7:                          // string
        if (left() < 2) return false;
        value_size = (std::size_t{p[0]} << 8) | p[1];
        p += 2;
        break;
      default:
        return false;
    }
    if (left() < value_size) return false;
    if (type == 7) {
      const std::string_view value(reinterpret_cast<const char*>(p), value_size);
      if (name == ":message-type") {
        m.message_type = value;
      } else if (name == ":event-type") {
        m.event_type = value;
      } else if (name == ":exception-type") {
        m.exception_type = value;
      } else if (name == ":error-code") {
        m.error_code = value;
      }
    }
    p += value_size;
  }
  return true;
}

// 6-bit value of each base64 character, -1 for the others ('=' included:
// padding is taken off before decoding).
constexpr std::array<signed char, 256> base64_values = [] {
  std::array<signed char, 256> t{};
  t.fill(-1);
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
  }
  return t;
}();

}  // namespace

void eventstream_reader::feed(std::string_view bytes) {
  while (!bytes.empty() && !malformed_) {
    switch (phase_) {
      case phase::prelude: {
        if (prelude_size_ == 0 && bytes.size() >= prelude_bytes) {
          // The prelude lies in this piece: read it there, and when the whole
          // message does too, hand it over without copying a byte.
          if (!begin_message(bytes.data())) return;
          if (total_length_ <= bytes.size() && total_length_ <= max_message_bytes) {
            deliver(bytes.substr(0, total_length_));
            bytes.remove_prefix(total_length_);
          } else {
            start_body(bytes.substr(0, prelude_bytes));
            bytes.remove_prefix(prelude_bytes);
          }
          continue;
        }
        const auto n = std::min(prelude_bytes - prelude_size_, bytes.size());
        std::memcpy(prelude_ + prelude_size_, bytes.data(), n);
        prelude_size_ += n;
        bytes.remove_prefix(n);
        if (prelude_size_ < prelude_bytes) return;
        prelude_size_ = 0;
        if (!begin_message(prelude_)) return;
        start_body(std::string_view(prelude_, prelude_bytes));
        continue;
      }
      case phase::gather: {
        const auto n = std::min<std::size_t>(total_length_ - message_.size(), bytes.size());
        message_.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        if (message_.size() == total_length_) {
          deliver(message_);
          forget_message();
          phase_ = phase::prelude;
        }
        continue;
      }
      case phase::skip:
        bytes.remove_prefix(skip(bytes));
        continue;
    }
  }
}

void eventstream_reader::finish() {
  // Anything begun and not ended: the body stopped inside a message.
  if (!malformed_ && (phase_ != phase::prelude || prelude_size_ != 0)) stop();
}

void eventstream_reader::reset() {
  phase_ = phase::prelude;
  malformed_ = oversized_ = false;
  prelude_size_ = 0;
  total_length_ = 0;
  skipped_ = 0;
  running_crc_ = 0;
  forget_message();
}

// The prelude CRC is checked before the lengths are believed: a corrupt (or
// not-an-event-stream) length would otherwise have the reader wait for, or
// skip, bytes that are not a message.
bool eventstream_reader::begin_message(const char* prelude) {
  if (update_crc(0, std::string_view(prelude, 8)) != read_u32(prelude + 8)) {
    stop();
    return false;
  }
  const std::uint32_t total = read_u32(prelude);
  const std::uint32_t headers = read_u32(prelude + 4);
  if (total < min_message_bytes || headers > total - min_message_bytes) {
    stop();
    return false;
  }
  total_length_ = total;
  return true;
}

void eventstream_reader::start_body(std::string_view prelude) {
  if (total_length_ > max_message_bytes) {
    oversized_ = true;
    phase_ = phase::skip;
    skipped_ = prelude.size();
    running_crc_ = update_crc(0, prelude);
    return;
  }
  message_.reserve(total_length_);  // one allocation, at most max_message_bytes
  message_.assign(prelude);
  phase_ = phase::gather;
}

// Passes over bytes of an oversized message, keeping only its running CRC and
// the message_crc bytes, so that a corrupt stream is noticed here too.
std::size_t eventstream_reader::skip(std::string_view bytes) {
  const std::uint64_t crc_at = total_length_ - crc_bytes;
  std::size_t used = 0;
  if (skipped_ < crc_at) {
    used = static_cast<std::size_t>(std::min<std::uint64_t>(crc_at - skipped_, bytes.size()));
    running_crc_ = update_crc(running_crc_, bytes.substr(0, used));
    skipped_ += used;
  }
  while (used < bytes.size() && skipped_ < total_length_) {
    trailer_[skipped_ - crc_at] = bytes[used++];
    ++skipped_;
  }
  if (skipped_ == total_length_) {
    skipped_ = 0;
    phase_ = phase::prelude;
    if (running_crc_ != read_u32(trailer_)) stop();
  }
  return used;
}

void eventstream_reader::deliver(std::string_view message) {
  const std::size_t crc_at = message.size() - crc_bytes;
  if (update_crc(0, message.substr(0, crc_at)) != read_u32(message.data() + crc_at)) {
    stop();
    return;
  }
  const std::size_t headers_size = read_u32(message.data() + 4);  // checked against the total already
  eventstream_message m;
  if (!read_headers(message.substr(prelude_bytes, headers_size), m)) {
    stop();
    return;
  }
  m.payload = message.substr(prelude_bytes + headers_size, crc_at - prelude_bytes - headers_size);
  listener_.on_message(m);
}

// Reading ends for this body: nothing held is of use any more.
void eventstream_reader::stop() {
  malformed_ = true;
  prelude_size_ = 0;
  forget_message();
}

void eventstream_reader::forget_message() {
  if (message_.capacity() > kept_capacity) {
    std::string().swap(message_);
  } else {
    message_.clear();
  }
}

bool decode_base64(std::string_view in, std::string& out) {
  out.clear();
  std::size_t padding = 0;
  while (padding < in.size() && in[in.size() - 1 - padding] == '=') ++padding;
  if (padding > 2) return false;
  if (padding != 0) {
    // Padded input comes in whole quads; the padding says how full the last is.
    if (in.size() % 4 != 0) return false;
    in.remove_suffix(padding);
  }
  if (in.size() % 4 == 1) return false;  // 6 bits cannot end a byte
  out.reserve(in.size() / 4 * 3 + 2);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (const char c : in) {
    const int value = base64_values[static_cast<unsigned char>(c)];
    if (value < 0) return false;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xff));
    }
  }
  return true;
}

}  // namespace passgate::usage

#pragma once
// Builds application/vnd.amazon.eventstream bodies as Bedrock's
// invoke-with-response-stream sends them, for unit tests of the reader and for
// the mock upstream of end-to-end tests. Header-only; needs zlib (crc32).
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace passgate::test {

inline void append_eventstream_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

inline std::uint32_t eventstream_crc32(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      ::crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

// One message around already-encoded headers (any header types): prelude with
// its CRC, the headers, the payload, the message CRC.
inline std::string encode_eventstream_frame(std::string_view raw_headers, std::string_view payload) {
  std::string out;
  const auto total = 16 + raw_headers.size() + payload.size();
  out.reserve(total);
  append_eventstream_u32(out, static_cast<std::uint32_t>(total));
  append_eventstream_u32(out, static_cast<std::uint32_t>(raw_headers.size()));
  append_eventstream_u32(out, eventstream_crc32(out));
  out.append(raw_headers);
  out.append(payload);
  append_eventstream_u32(out, eventstream_crc32(out));
  return out;
}

// One header of value type 7 (string): name_len u8, name, 7, value_len u16 BE, value.
inline std::string encode_eventstream_string_header(std::string_view name, std::string_view value) {
  std::string out;
  out.push_back(static_cast<char>(name.size()));
  out.append(name);
  out.push_back(7);
  out.push_back(static_cast<char>(value.size() >> 8));
  out.push_back(static_cast<char>(value.size()));
  out.append(value);
  return out;
}

// A valid message whose headers are all strings, in the order given.
inline std::string encode_eventstream_message(
    std::initializer_list<std::pair<std::string_view, std::string_view>> string_headers,
    std::string_view payload) {
  std::string headers;
  for (const auto& [name, value] : string_headers) headers += encode_eventstream_string_header(name, value);
  return encode_eventstream_frame(headers, payload);
}

// Standard base64 with padding (RFC 4648).
inline std::string encode_base64(std::string_view in) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(in[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8) |
                            static_cast<unsigned char>(in[i + 2]);
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (const auto rest = in.size() - i; rest != 0) {
    std::uint32_t v = std::uint32_t{static_cast<unsigned char>(in[i])} << 16;
    if (rest == 2) v |= std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// One Bedrock invoke-with-response-stream message carrying one Anthropic
// streaming event: the event's JSON base64-encoded in "bytes", and the "p"
// member Bedrock pads its payloads with (so that message sizes do not give
// away the text's length).
inline std::string bedrock_chunk(std::string_view anthropic_event_json) {
  std::string payload = "{\"bytes\":\"";
  payload += encode_base64(anthropic_event_json);
  payload += "\",\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEF\"}";
  return encode_eventstream_message(
      {{":event-type", "chunk"}, {":content-type", "application/json"}, {":message-type", "event"}}, payload);
}

}  // namespace passgate::test

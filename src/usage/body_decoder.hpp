#pragma once
// Decompresses a gzip, deflate or brotli body for the tap only (the client gets
// the bytes as sent). Output goes to a sink in pieces of one fixed buffer,
// allocated on first use, and stops at max_output so that a small body cannot
// expand into gigabytes.
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "usage/content_type.hpp"

namespace passgate::usage {

class body_decoder {
 public:
  enum class status {
    ok,         // wants more input
    done,       // the compressed stream ended; anything after it is ignored
    corrupt,
    too_large,  // output reached max_output; what came before it was delivered
  };
  using sink = std::function<void(std::string_view)>;

  static constexpr std::size_t default_max_output = 64 * 1024 * 1024;
  static constexpr std::size_t buffer_bytes = 16 * 1024;

  virtual ~body_decoder() = default;
  // Once this returns anything but ok, later calls do nothing and return the same.
  virtual status decode(std::string_view input) = 0;
};

// gzip, deflate (zlib-wrapped or, as some servers send it, raw) or br; nullptr
// for identity and unsupported.
std::unique_ptr<body_decoder> make_body_decoder(
    content_encoding encoding, body_decoder::sink sink,
    std::size_t max_output = body_decoder::default_max_output);

}  // namespace passgate::usage

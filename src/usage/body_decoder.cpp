#include "usage/body_decoder.hpp"

#include <brotli/decode.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>

namespace passgate::usage {
namespace {

// What both decoders share: the output buffer, the cap and the sticky status.
class capped_output {
 public:
  capped_output(body_decoder::sink sink, std::size_t max_output)
      : sink_(std::move(sink)), max_output_(max_output) {}

  std::uint8_t* buffer() {
    if (!buffer_) {
      buffer_ = std::make_unique_for_overwrite<std::uint8_t[]>(body_decoder::buffer_bytes);
    }
    return buffer_.get();
  }
  // Hands on the first n bytes of the buffer; false once max_output is reached.
  bool deliver(std::size_t n) {
    const auto allowed = std::min(n, max_output_ - delivered_);
    delivered_ += allowed;
    if (allowed > 0) sink_({reinterpret_cast<const char*>(buffer_.get()), allowed});
    return allowed == n && delivered_ < max_output_;
  }

 private:
  body_decoder::sink sink_;
  std::size_t max_output_;
  std::size_t delivered_ = 0;
  std::unique_ptr<std::uint8_t[]> buffer_;
};

class zlib_decoder final : public body_decoder {
 public:
  zlib_decoder(sink s, std::size_t max_output) : out_(std::move(s), max_output) {}
  ~zlib_decoder() override {
    if (started_) inflateEnd(&z_);
  }

  status decode(std::string_view input) override {
    if (status_ != status::ok) return status_;
    auto in = reinterpret_cast<const std::uint8_t*>(input.data());
    auto left = input.size();
    if (!started_) {
      // HTTP "deflate" is meant to be zlib-wrapped, yet some servers send raw
      // deflate: the first two bytes tell which, so they are held until both came.
      while (left > 0 && header_size_ < 2) {
        header_[header_size_++] = *in++;
        --left;
      }
      if (header_size_ < 2) return status_;
      if (!start()) return status_ = status::corrupt;
      if (inflate_some(header_, 2) != status::ok) return status_;
    }
    // avail_in is 32-bit: feed a huge piece in parts.
    while (left > 0 && status_ == status::ok) {
      const auto part = std::min<std::size_t>(left, 1u << 30);
      inflate_some(in, part);
      in += part;
      left -= part;
    }
    return status_;
  }

 private:
  bool start() {
    const bool gzip = header_[0] == 0x1f && header_[1] == 0x8b;
    const bool zlib = (header_[0] & 0x0f) == 8 && ((header_[0] << 8) | header_[1]) % 31 == 0;
    // 15 + 32: zlib or gzip header, detected; -15: raw deflate.
    if (inflateInit2(&z_, gzip || zlib ? 15 + 32 : -15) != Z_OK) return false;
    started_ = true;
    return true;
  }

  status inflate_some(const std::uint8_t* in, std::size_t size) {
    z_.next_in = const_cast<Bytef*>(in);  // zlib's API is not const-correct
    z_.avail_in = static_cast<uInt>(size);
    for (;;) {
      z_.next_out = out_.buffer();
      z_.avail_out = static_cast<uInt>(buffer_bytes);
      const int rc = inflate(&z_, Z_NO_FLUSH);
      // What came out before an error is sound: hand it on first.
      if (!out_.deliver(buffer_bytes - z_.avail_out)) return status_ = status::too_large;
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return status_ = status::corrupt;
      if (rc == Z_STREAM_END) return status_ = status::done;
      // Room left in the buffer means the input is used up.
      if (z_.avail_out != 0 || rc == Z_BUF_ERROR) return status_;
    }
  }

  capped_output out_;
  z_stream z_{};
  bool started_ = false;
  std::uint8_t header_[2] = {};
  std::size_t header_size_ = 0;
  status status_ = status::ok;
};

class brotli_decoder final : public body_decoder {
 public:
  brotli_decoder(sink s, std::size_t max_output) : out_(std::move(s), max_output) {}
  ~brotli_decoder() override {
    if (state_) BrotliDecoderDestroyInstance(state_);
  }

  status decode(std::string_view input) override {
    if (status_ != status::ok) return status_;
    if (!state_ && !(state_ = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr))) {
      return status_ = status::corrupt;
    }
    auto next_in = reinterpret_cast<const std::uint8_t*>(input.data());
    auto avail_in = input.size();
    for (;;) {
      auto next_out = out_.buffer();
      auto avail_out = buffer_bytes;
      const auto rc = BrotliDecoderDecompressStream(state_, &avail_in, &next_in, &avail_out,
                                                    &next_out, nullptr);
      if (!out_.deliver(buffer_bytes - avail_out)) return status_ = status::too_large;
      if (rc == BROTLI_DECODER_RESULT_ERROR) return status_ = status::corrupt;
      if (rc == BROTLI_DECODER_RESULT_SUCCESS) return status_ = status::done;
      if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) return status_;
    }
  }

 private:
  capped_output out_;
  BrotliDecoderState* state_ = nullptr;
  status status_ = status::ok;
};

}  // namespace

std::unique_ptr<body_decoder> make_body_decoder(content_encoding encoding, body_decoder::sink sink,
                                                std::size_t max_output) {
  switch (encoding) {
    case content_encoding::gzip:
    case content_encoding::deflate:
      return std::make_unique<zlib_decoder>(std::move(sink), max_output);
    case content_encoding::br:
      return std::make_unique<brotli_decoder>(std::move(sink), max_output);
    case content_encoding::identity:
    case content_encoding::unsupported:
      break;
  }
  return nullptr;
}

}  // namespace passgate::usage

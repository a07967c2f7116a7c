#pragma once
// Beast's HTTP/1.1 parser (framing, limits, chunked bodies), with the head kept
// flat: the request or status line and each field are copied once into the
// connection's arena and listed in order in a vector the session reuses. Beast's
// own message type keeps fields in a node-based tree (an allocation, a
// case-insensitive tree insert and a list link per field), which the gateway
// never needs: it reads fields in order, or looks one up among a few dozen.
//
// Body bytes are not copied: each piece (de-chunked) is handed to `sink` as a
// view into the buffer being parsed, valid until that buffer is consumed.
// Trailer fields after a chunked body are not kept: nothing may come from them
// (a credential least of all).
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/verb.hpp>

#include "common/headers.hpp"
#include "http/arena.hpp"

namespace passgate::http {

template <bool IsRequest>
class flat_parser final : public boost::beast::http::basic_parser<IsRequest> {
 public:
  using error_code = boost::system::error_code;

  // `fields` is cleared and then holds the head's fields, in order, their
  // text in `memory`; both must outlive the parser and stay as they are while
  // its fields are used.
  flat_parser(arena& memory, std::vector<hdr::field>& fields) : memory_(memory), fields_(fields) { fields_.clear(); }

  std::vector<boost::asio::const_buffer>* sink = nullptr;  // where body pieces go

  // The head (valid once is_header_done()).
  std::span<const hdr::field> fields() const { return fields_; }
  // The first field of that name (case-insensitive); empty if there is none.
  std::string_view find(std::string_view name) const;
  unsigned version() const { return version_; }
  // Requests.
  boost::beast::http::verb method() const { return method_; }
  std::string_view method_string() const { return method_string_; }
  std::string_view target() const { return target_; }
  // Responses.
  int result_int() const { return status_; }
  std::string_view reason() const { return reason_; }

 private:
  std::string_view keep(std::string_view s);

  void on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_str,
                       boost::beast::string_view target, int version, error_code& ec) override;
  void on_response_impl(int code, boost::beast::string_view reason, int version, error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, error_code& ec) override;
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, error_code& ec) override;
  void on_finish_impl(error_code&) override {}

  arena& memory_;
  std::vector<hdr::field>& fields_;
  unsigned version_ = 11;
  boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
  std::string_view method_string_, target_, reason_;
  int status_ = 0;
};

using request_parser = flat_parser<true>;
using response_parser = flat_parser<false>;

extern template class flat_parser<true>;
extern template class flat_parser<false>;

}  // namespace passgate::http

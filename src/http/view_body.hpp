#pragma once
// A Beast body type that stores nothing: the parser hands it views of the body
// bytes (de-chunked) lying in the connection's read buffer, and it appends them to
// a list. The relay writes those views on and feeds them to the usage tap, so
// body bytes are never copied. Views stay valid until the read buffer is consumed.
#include <cstdint>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>

namespace passgate::http {

struct view_body {
  struct value_type {
    std::vector<boost::asio::const_buffer>* sink = nullptr;
  };

  class reader {
   public:
    template <bool IsRequest, class Fields>
    reader(boost::beast::http::header<IsRequest, Fields>&, value_type& v) : v_(v) {}
    void init(const boost::optional<std::uint64_t>&, boost::system::error_code& ec) { ec = {}; }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
      ec = {};
      std::size_t n = 0;
      for (auto b : boost::beast::buffers_range_ref(buffers)) {
        if (b.size() && v_.sink) v_.sink->push_back(b);
        n += b.size();
      }
      return n;
    }
    void finish(boost::system::error_code& ec) { ec = {}; }

   private:
    value_type& v_;
  };
};

}  // namespace passgate::http

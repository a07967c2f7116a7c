#include "http/flat_parser.hpp"

#include <cstring>

#include "http/framing_error.hpp"

namespace passgate::http {

namespace {
// What Beast's own fields hold at most per name or value; kept as the limit so
// that a field that long is refused as it was (431 for a request, 502 for an
// upstream's answer) whatever the head's byte limit allows.
constexpr std::size_t max_field_bytes = 65535;
}  // namespace

template <bool IsRequest>
std::string_view flat_parser<IsRequest>::find(std::string_view name) const {
  for (const auto& f : fields_)
    if (hdr::iequals(f.name, name)) return f.value;
  return {};
}

template <bool IsRequest>
std::string_view flat_parser<IsRequest>::keep(std::string_view s) {
  if (s.empty()) return {};
  auto* p = static_cast<char*>(memory_.allocate(s.size(), 1));
  std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

template <bool IsRequest>
void flat_parser<IsRequest>::on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_str,
                                             boost::beast::string_view target, int version, error_code&) {
  method_ = method;
  method_string_ = keep(method_str);
  target_ = keep(target);
  version_ = static_cast<unsigned>(version);
}

template <bool IsRequest>
void flat_parser<IsRequest>::on_response_impl(int code, boost::beast::string_view reason, int version, error_code&) {
  status_ = code;
  reason_ = keep(reason);
  version_ = static_cast<unsigned>(version);
}

template <bool IsRequest>
void flat_parser<IsRequest>::on_field_impl(boost::beast::http::field, boost::beast::string_view name,
                                           boost::beast::string_view value, error_code& ec) {
  if (this->is_header_done()) return;  // a trailer field: never kept
  if (name.size() > max_field_bytes || value.size() > max_field_bytes) {
    ec = framing_errc::field_too_large;
    return;
  }
  // Name and value in one piece of the arena.
  auto* p = static_cast<char*>(memory_.allocate(name.size() + value.size(), 1));
  std::memcpy(p, name.data(), name.size());
  if (!value.empty()) std::memcpy(p + name.size(), value.data(), value.size());
  fields_.push_back({std::string_view(p, name.size()), std::string_view(p + name.size(), value.size())});
}

template <bool IsRequest>
std::size_t flat_parser<IsRequest>::on_body_impl(boost::beast::string_view body, error_code&) {
  if (sink && !body.empty()) sink->emplace_back(body.data(), body.size());
  return body.size();
}

template <bool IsRequest>
std::size_t flat_parser<IsRequest>::on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, error_code& ec) {
  return on_body_impl(body, ec);  // a chunk's data is body like any other: the framing is Beast's
}

template class flat_parser<true>;
template class flat_parser<false>;

}  // namespace passgate::http

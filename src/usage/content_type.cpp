#include "usage/content_type.hpp"

#include "common/headers.hpp"

namespace passgate::usage {

using hdr::iequals;
using hdr::trim;

body_kind kind_from_content_type(std::string_view content_type) {
  const auto media_type = trim(content_type.substr(0, content_type.find(';')));
  if (iequals(media_type, "text/event-stream")) return body_kind::sse;
  if (iequals(media_type, "application/json")) return body_kind::json;
  if (iequals(media_type, "application/vnd.amazon.eventstream")) return body_kind::eventstream;
  return body_kind::other;
}

content_encoding encoding_from_header(std::string_view value) {
  const auto coding = trim(value);
  if (coding.empty() || iequals(coding, "identity")) return content_encoding::identity;
  if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) return content_encoding::gzip;
  if (iequals(coding, "deflate")) return content_encoding::deflate;
  if (iequals(coding, "br")) return content_encoding::br;
  return content_encoding::unsupported;
}

}  // namespace passgate::usage

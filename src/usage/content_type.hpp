#pragma once
// What the usage tap needs to know about a response body from its headers: how
// its content is framed and how it is compressed.
#include <string_view>

namespace passgate::usage {

enum class body_kind {
  sse,    // text/event-stream: a streamed Messages answer
  json,   // application/json: a whole answer, an error or a count_tokens result
  eventstream,  // application/vnd.amazon.eventstream: Bedrock's streamed answer
  other,  // nothing the tap reads
};

enum class content_encoding { identity, gzip, deflate, br, unsupported };

// From a Content-Type value; case-insensitive, parameters (";charset=…") ignored.
body_kind kind_from_content_type(std::string_view content_type);

// From a Content-Encoding value; "" and "identity" are identity. A list of
// several codings ("gzip, br") is unsupported: the API never sends one.
content_encoding encoding_from_header(std::string_view content_encoding_value);

}  // namespace passgate::usage

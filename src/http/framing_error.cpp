#include "http/framing_error.hpp"

#include <string>

namespace passgate::http {
namespace {

struct category : boost::system::error_category {
  const char* name() const noexcept override { return "passgate.framing"; }
  std::string message(int ev) const override {
    switch (static_cast<framing_errc>(ev)) {
      case framing_errc::chunk_line_too_long: return "chunk-size line too long";
      case framing_errc::trailers_too_large: return "trailer section too large";
      case framing_errc::too_many_trailers: return "too many trailer fields";
      case framing_errc::trailer_obs_fold: return "folded trailer line";
      case framing_errc::field_too_large: return "header field longer than 65535 bytes";
    }
    return "framing error";
  }
};

}  // namespace

const boost::system::error_category& framing_category() {
  static const category c;
  return c;
}

}  // namespace passgate::http

#pragma once
// A credential read from config or the environment. It has no formatter and no
// stream operator on purpose: it cannot end up in a log line by accident.
#include <string>
#include <string_view>

namespace passgate {

class secret {
 public:
  secret() = default;
  explicit secret(std::string value) : value_(std::move(value)) {}
  bool empty() const { return value_.empty(); }
  // The only way to the value; every caller is a place that sends or hashes it.
  const std::string& reveal() const { return value_; }
  // "sk-ant-…(108 chars)" style text for check-config output.
  std::string masked() const {
    if (value_.empty()) return "";
    return value_.substr(0, std::min<std::size_t>(6, value_.size() / 4)) + "…(" +
           std::to_string(value_.size()) + " chars)";
  }
  // "…(40 chars)": for secrets whose first characters are secret too (an AWS
  // secret access key has no public prefix).
  std::string masked_fully() const { return value_.empty() ? "" : "…(" + std::to_string(value_.size()) + " chars)"; }
  // No control characters: the value goes into a header line.
  bool fits_a_header() const {
    for (unsigned char c : value_)
      if (c < 0x20 || c == 0x7f) return false;
    return true;
  }

 private:
  std::string value_;
};

}  // namespace passgate

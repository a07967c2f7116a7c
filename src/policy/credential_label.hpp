#pragma once
// The kinds of provider credential a request can travel with (DESIGN §1).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace passgate::policy {

enum class credential_label : std::uint8_t { oauth, byok, bearer, server, none };

inline constexpr credential_label all_labels[] = {
    credential_label::oauth, credential_label::byok, credential_label::bearer,
    credential_label::server, credential_label::none};

constexpr std::string_view to_string(credential_label l) {
  switch (l) {
    case credential_label::oauth: return "oauth";
    case credential_label::byok: return "byok";
    case credential_label::bearer: return "bearer";
    case credential_label::server: return "server";
    case credential_label::none: return "none";
  }
  return "none";
}

constexpr std::optional<credential_label> label_from_string(std::string_view s) {
  for (auto l : all_labels)
    if (to_string(l) == s) return l;
  return std::nullopt;
}

// A small bit set of labels; "all" is the default for keys with no restriction.
class label_set {
 public:
  constexpr label_set() = default;
  static constexpr label_set all() { label_set s; s.bits_ = 0x1f; return s; }
  constexpr void add(credential_label l) { bits_ |= bit(l); }
  constexpr bool contains(credential_label l) const { return bits_ & bit(l); }
  constexpr bool is_all() const { return bits_ == 0x1f; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool operator==(const label_set&) const = default;
  // "oauth, byok" — for messages and JSON output.
  std::string describe() const {
    std::string out;
    for (auto l : all_labels)
      if (contains(l)) {
        if (!out.empty()) out += ", ";
        out += to_string(l);
      }
    return out;
  }

 private:
  static constexpr std::uint8_t bit(credential_label l) { return std::uint8_t(1u << unsigned(l)); }
  std::uint8_t bits_ = 0;
};

}  // namespace passgate::policy

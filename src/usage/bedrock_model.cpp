#include "usage/bedrock_model.hpp"

namespace passgate::usage {
namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string bedrock_model(std::string_view path) {
  constexpr std::string_view prefix = "/model/";
  if (!path.starts_with(prefix)) return {};
  path.remove_prefix(prefix.size());
  path = path.substr(0, path.find('/'));
  std::string id;
  id.reserve(path.size());
  for (std::size_t i = 0; i < path.size() && id.size() < 256; ++i) {
    if (path[i] == '%' && i + 2 < path.size() && hex(path[i + 1]) >= 0 && hex(path[i + 2]) >= 0) {
      id.push_back(static_cast<char>(hex(path[i + 1]) * 16 + hex(path[i + 2])));
      i += 2;
    } else {
      id.push_back(path[i]);
    }
  }
  // arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-…
  if (auto slash = id.rfind('/'); slash != std::string::npos) id.erase(0, slash + 1);
  // "anthropic.claude-…", "us.anthropic.claude-…", "global.anthropic.claude-…"
  constexpr std::string_view vendor = "anthropic.";
  if (auto at = id.find(vendor); at != std::string::npos && (at == 0 || at == id.find('.') + 1))
    id.erase(0, at + vendor.size());
  return id;
}

}  // namespace passgate::usage

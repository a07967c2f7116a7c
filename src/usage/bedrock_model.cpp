#include "usage/bedrock_model.hpp"

#include "common/percent.hpp"

namespace passgate::usage {

std::string bedrock_model(std::string_view path) {
  constexpr std::string_view prefix = "/model/";
  if (!path.starts_with(prefix)) return {};
  path.remove_prefix(prefix.size());
  path = path.substr(0, path.find('/'));
  std::string id;
  pct::decode_append(path, id);
  if (id.size() > 256) id.resize(256);
  // arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-…
  if (auto slash = id.rfind('/'); slash != std::string::npos) id.erase(0, slash + 1);
  // "anthropic.claude-…", "us.anthropic.claude-…", "global.anthropic.claude-…"
  constexpr std::string_view vendor = "anthropic.";
  if (auto at = id.find(vendor); at != std::string::npos && (at == 0 || at == id.find('.') + 1))
    id.erase(0, at + vendor.size());
  return id;
}

}  // namespace passgate::usage

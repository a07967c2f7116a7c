#pragma once
// The web console's files (ui/, built by scripts/build-ui.sh at build time and
// compiled into the binary by embed_assets.cmake): nothing is read from disk or
// fetched at run time.
#include <span>
#include <string_view>

namespace passgate::ui {

struct asset {
  std::string_view path;          // "/ui/app.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view body;
  std::string_view etag;          // quoted, from the file's SHA-256: "\"1f2e…\""
};

// The asset served at `path` ("/ui/index.html", "/ui/app.js", …); null if none.
const asset* find_ui_asset(std::string_view path);
// Every asset.
std::span<const asset> ui_assets();

}  // namespace passgate::ui

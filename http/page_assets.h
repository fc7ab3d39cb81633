// The search page's files (http/page/), compiled into the binary by cmake/EmbedPageAssets.cmake:
// GET / and GET /page/{file} answer from this fixed table only, so no request can name a file on
// disk (no path traversal to guard against, nothing to deploy beside the binary).
#pragma once
#include <cstddef>
#include <string_view>
#include <vector>

namespace m3::http {

struct PageAsset {
  const char* name;          // "app.js": the {file} of /page/{file}
  const char* content_type;  // from the extension, with charset for text
  const unsigned char* data;
  size_t size;
  const char* etag;          // quoted, from the content's SHA-256
};

// Every file of http/page/ (generated source in the build directory).
const std::vector<PageAsset>& page_assets();

// The asset named exactly `name`, or null.
inline const PageAsset* find_page_asset(std::string_view name) {
  for (const auto& a : page_assets())
    if (name == a.name) return &a;
  return nullptr;
}

}  // namespace m3::http

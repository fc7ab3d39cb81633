// GET / and GET /page/{file}: the search page, from the compiled-in table (http/page_assets.h).
// Headers: a Content-Security-Policy that allows this origin only (scripts, styles, fetches), so a
// hostile document text can never run code or load anything even if some rendering path slipped;
// an ETag with "no-cache" so a browser revalidates (304, no body) and a new binary's page is seen
// at once.
#include "http/api_error.h"
#include "http/handlers.h"
#include "http/page_assets.h"

namespace m3::http {

namespace {

constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

Response asset_reply(const PageAsset& a, const Request& req) {
  const bool fresh = req[beast_http::field::if_none_match] == a.etag;
  Response res{fresh ? beast_http::status::not_modified : beast_http::status::ok, req.version()};
  res.set(beast_http::field::content_type, a.content_type);
  res.set(beast_http::field::etag, a.etag);
  res.set(beast_http::field::cache_control, "no-cache");
  res.set("Content-Security-Policy", kCsp);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.keep_alive(req.keep_alive());
  if (!fresh) res.body().assign(reinterpret_cast<const char*>(a.data), a.size);
  res.prepare_payload();
  return res;
}

}  // namespace

Response handle_page_index(RouteContext& ctx) {
  const PageAsset* a = find_page_asset("index.html");
  if (!a) throw not_found("the search page is not part of this build");
  return asset_reply(*a, ctx.req);
}

Response handle_page_asset(RouteContext& ctx) {
  const PageAsset* a = find_page_asset(ctx.params[0]);
  if (!a) throw not_found("no such page file: " + ctx.params[0].substr(0, 100));
  return asset_reply(*a, ctx.req);
}

}  // namespace m3::http

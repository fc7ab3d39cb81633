// The search page over a real socket: GET / is the HTML page with its security headers, its files
// come from the compiled-in table with the right types and ETags (304 on a match), and nothing
// else is reachable under /page/ (no path traversal, no directory listing, no files from disk).
#include "http/page_assets.h"
#include "tests/http/http_test_helpers.h"

namespace m3::http::test {
namespace {

class Page : public ServerFixture {};

TEST_F(Page, RootIsTheHtmlPageWithSecurityHeaders) {
  auto r = client_->get("/");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["Content-Type"], "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<!doctype html>"), std::string::npos);
  EXPECT_NE(r.body.find("/page/app.js"), std::string::npos);
  const std::string csp = r.headers["Content-Security-Policy"];
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;  // no inline scripts, no eval
  EXPECT_EQ(r.headers["X-Content-Type-Options"], "nosniff");
  EXPECT_FALSE(r.headers["ETag"].empty());
  // The page loads without the API key (this fixture's server has one).
  EXPECT_EQ(client_->get("/?c=x&q=y").status, 200);
}

TEST_F(Page, EveryAssetIsServedWithItsTypeAndRevalidates) {
  ASSERT_GE(page_assets().size(), 3u);
  for (const auto& a : page_assets()) {
    auto r = client_->get(std::string("/page/") + a.name);
    ASSERT_EQ(r.status, 200) << a.name;
    EXPECT_EQ(r.headers["Content-Type"], a.content_type) << a.name;
    EXPECT_EQ(r.body.size(), a.size) << a.name;
    EXPECT_EQ(r.headers["ETag"], a.etag) << a.name;
    EXPECT_EQ(r.headers["Cache-Control"], "no-cache") << a.name;
    auto again = client_->call(verb::get, std::string("/page/") + a.name, "", "", {{"If-None-Match", a.etag}});
    EXPECT_EQ(again.status, 304) << a.name;
    EXPECT_TRUE(again.body.empty()) << a.name;
  }
  EXPECT_EQ(client_->get("/page/app.js").headers["Content-Type"], "text/javascript; charset=utf-8");
  EXPECT_EQ(client_->get("/page/style.css").headers["Content-Type"], "text/css; charset=utf-8");
}

TEST_F(Page, NoPathReachesAnythingButTheTable) {
  for (const char* target : {"/page/../CMakeLists.txt", "/page/..%2FCMakeLists.txt", "/page/%2e%2e%2fhttp%2fserver.cpp",
                             "/page/../../etc/passwd", "/page/..%2f..%2f..%2fetc%2fpasswd", "/page/", "/page",
                             "/page/index.html%00.js", "/page/./app.js", "/page/APP.JS",
                             "/page/page/app.js", "/index.html", "/page/%2Fetc%2Fpasswd"}) {
    auto r = client_->get(target);
    EXPECT_EQ(r.status, 404) << target << ": " << r.body;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << target;
  }
  // Other methods are refused, as for every route.
  EXPECT_EQ(client_->call(verb::post, "/", "{}").status, 405);
  EXPECT_EQ(client_->call(verb::delete_, "/page/app.js", "", "secret").status, 405);
}

}  // namespace
}  // namespace m3::http::test

// GET /openapi.json describes exactly the routes the server has: every described operation is
// routed (never "no such endpoint"), and every route is described.
#include <set>

#include "tests/http/http_test_helpers.h"
#include "http/router.h"

namespace m3::http::test {
namespace {

class OpenApi : public ServerFixture {};

TEST_F(OpenApi, DescribesEveryRouteAndOnlyThose) {
  auto r = client_->get("/openapi.json");
  ASSERT_EQ(r.status, 200);
  const json doc = r.j();
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  size_t operations = 0;
  std::set<std::string> operation_ids;
  for (auto& [path, methods] : doc["paths"].items()) {
    for (auto& [method, op] : methods.items()) {
      ++operations;
      EXPECT_TRUE(operation_ids.insert(op["operationId"].get<std::string>()).second) << "operationId not unique: " << op["operationId"];
      EXPECT_TRUE(op.contains("responses")) << method << " " << path;
      std::string target = path;
      for (const char* p : {"{name}", "{docid}", "{file}"}) {
        const auto at = target.find(p);
        if (at != std::string::npos) target.replace(at, std::strlen(p), "x");
      }
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const auto reply = client_->call(beast::http::string_to_verb(upper), target, "", "secret");
      const bool unrouted = reply.status == 404 && reply.body.find("no such endpoint") != std::string::npos;
      EXPECT_FALSE(unrouted || reply.status == 405) << upper << " " << target << " is described but not routed: " << reply.body;
    }
  }
  EXPECT_EQ(operations, route_table().size());
  for (const auto& route : route_table()) {
    std::string method(beast::http::to_string(route.method));
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_TRUE(doc["paths"].contains(route.pattern) && doc["paths"][route.pattern].contains(method))
        << method << " " << route.pattern << " is routed but not described";
  }
}

TEST_F(OpenApi, SearchSchemaListsEveryAcceptedField) {
  const json doc = client_->get("/openapi.json").j();
  const auto& props = doc["paths"]["/collections/{name}/search"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"];
  for (const char* k : {"query", "queries", "fields", "mode", "k", "offset", "depth", "weights", "fusion"}) EXPECT_TRUE(props.contains(k)) << k;
  // ... and every described field is accepted (not "unknown field").
  for (auto& [k, v] : props.items()) {
    auto reply = client_->post("/collections/none/search", json{{"query", "x"}, {k, nullptr}});
    EXPECT_EQ(reply.body.find("unknown field"), std::string::npos) << k << ": " << reply.body;
  }
}

}  // namespace
}  // namespace m3::http::test

// The CLI next to a running server: reads (m3 info, search) work on a collection `m3 serve` holds,
// and see its commits; writes (m3 add, delete, index) fail with an error saying a server holds it.
#include <cstdio>

#include "tests/http/http_test_helpers.h"

namespace m3::http::test {
namespace {

struct Run {
  int code;
  std::string out;
};

Run run(const std::string& args) {
  const std::string cmd = std::string(M3_BINARY_DIR) + "/m3 " + args + " 2>&1";
  Run r{0, ""};
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class ServedCollection : public ServerFixture {};

TEST_F(ServedCollection, CliReadsWorkAndWritesSayAServerHoldsIt) {
  if (!std::filesystem::exists(std::string(M3_BINARY_DIR) + "/m3")) GTEST_SKIP() << "build the m3 program first";
  make_collection("c1");
  const std::string dir = data_ + "/c1", model = " --model " + tiny_model();
  auto info = run("info --json --collection " + dir + model);
  ASSERT_EQ(info.code, 0) << info.out;
  EXPECT_NE(info.out.find("\"documents\": 20"), std::string::npos) << info.out;
  // One description for both: the metadata fields too (what the search page's filters offer).
  const json cli = json::parse(info.out, nullptr, false), served = client_->get("/collections/c1").j();
  ASSERT_TRUE(cli.is_object()) << info.out;
  EXPECT_EQ(cli["metadata_fields"], served["metadata_fields"]);
  EXPECT_EQ(served["metadata_fields"], json::parse(R"([{"field":"lang","types":["string"],"documents":20,"values":["de","en"]},
                                                       {"field":"n","types":["number"],"documents":20,"min":0,"max":19}])"));
  EXPECT_EQ(served["metadata_sampled"], 20);
  auto search = run("search --collection " + dir + model + " --mode bm25 --k 3 rain");
  ASSERT_EQ(search.code, 0) << search.out;
  EXPECT_NE(search.out.find("1. d"), std::string::npos) << search.out;
  // A commit through the server is seen by the next CLI read.
  ASSERT_EQ(client_->post("/collections/c1/documents", R"({"documents":[{"docid":"new","text":"fresh"}]})", "secret").status, 202);
  ASSERT_EQ(client_->post("/collections/c1/commit", "", "secret").status, 200);
  EXPECT_NE(run("info --json --collection " + dir + model).out.find("\"documents\": 21"), std::string::npos);
  auto add = run("add --collection " + dir + model + " --docid x --text hello");
  EXPECT_NE(add.code, 0);
  EXPECT_NE(add.out.find("held by another process"), std::string::npos) << add.out;
  auto del = run("delete --collection " + dir + model + " d1");
  EXPECT_NE(del.code, 0);
  EXPECT_NE(del.out.find("held by another process"), std::string::npos) << del.out;
  EXPECT_EQ(client_->get("/collections/c1").j()["documents"], 21);  // nothing changed behind the server's back
}

}  // namespace
}  // namespace m3::http::test

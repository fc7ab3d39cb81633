// The coordinator's shard map (http/shard_map.h) is read strictly: every malformed entry is a
// UsageError naming it, never a half-read map.
#include <gtest/gtest.h>

#include "common/error.h"
#include "http/shard_map.h"

namespace m3::http {
namespace {

TEST(ShardMap, ParsesCollectionsShardsAndReplicas) {
  const auto m = parse_shard_map(R"({"web": [["http://10.0.0.1:8080", "http://s0b:8080/"], ["http://[::1]:9000"]]})", "map");
  ASSERT_EQ(m.size(), 1u);
  const auto& web = m.at("web");
  ASSERT_EQ(web.shards.size(), 2u);
  EXPECT_EQ(web.shards[0][1].host, "s0b");
  EXPECT_EQ(web.shards[0][1].url, "http://s0b:8080");
  EXPECT_EQ(web.shards[1][0].host, "::1");
  EXPECT_EQ(web.shards[1][0].port, 9000);
}

TEST(ShardMap, RefusesWhatIsNotAStrictMap) {
  for (const char* bad : {
           "", "[]", "{}", "{\"web\": []}", "{\"web\": [[]]}", "{\"web\": [\"http://a:1\"]}", "{\"web\": [[1]]}",
           "{\"../x\": [[\"http://a:1\"]]}", "{\"web\": [[\"https://a:1\"]]}", "{\"web\": [[\"http://a\"]]}",
           "{\"web\": [[\"http://a:0\"]]}", "{\"web\": [[\"http://a:65536\"]]}", "{\"web\": [[\"http://a:1/path\"]]}",
           "{\"web\": [[\"http://u@a:1\"]]}", "{\"web\": [[\"http://a:1?x\"]]}", "{\"web\": [[\"http://a:1\"], [\"http://a:1\"]]}",
           "{\"web\": [[\"http://a:1\", \"http://a:1/\"]]}", "{\"web\": [[\"http://[zz]:1\"]]}", "{\"web\": [[[[[[[[[[]]]]]]]]]]}"})
    EXPECT_THROW(parse_shard_map(bad, "map"), UsageError) << bad;
  std::string many = "{\"web\": [";
  for (int i = 0; i < 1025; ++i) many += std::string(i ? "," : "") + "[\"http://h" + std::to_string(i) + ":1\"]";
  EXPECT_THROW(parse_shard_map(many + "]}", "map"), UsageError);
}

}  // namespace
}  // namespace m3::http

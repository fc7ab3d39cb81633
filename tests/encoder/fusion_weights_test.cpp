// m3_fusion.json: optional, read exactly, and every malformed file named with its problem.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <string>

#include "common/error.h"
#include "encoder/fusion_weights.h"

namespace m3 {
namespace {

std::string dir_with(const std::string& content) {
  std::string t = "/tmp/m3fw_XXXXXX";
  std::string d = mkdtemp(t.data());
  if (!content.empty()) std::ofstream(d + "/" + kFusionWeightsFile) << content;
  return d;
}

TEST(FusionWeights, AbsentFileMeansThePapersWeights) {
  const FusionWeights fw = read_fusion_weights(dir_with(""));
  EXPECT_FALSE(fw.dense_sparse);
  EXPECT_FALSE(fw.all);
}

TEST(FusionWeights, ReadsBothModesAndIgnoresOtherKeys) {
  const FusionWeights fw =
      read_fusion_weights(dir_with(R"({"dense+sparse": [0.5, 1], "all": [0.25, 1, 0.75], "fitted_on": "x"})"));
  ASSERT_TRUE(fw.dense_sparse && fw.all);
  EXPECT_EQ(*fw.dense_sparse, (HeadWeights{0.5f, 1.f, 0.f, 0.f}));
  EXPECT_EQ(*fw.all, (HeadWeights{0.25f, 1.f, 0.75f, 0.f}));
  const FusionWeights with_bm25 =
      read_fusion_weights(dir_with(R"({"dense+sparse": [0.5, 1, 0, 0.02], "all": [0.25, 1, 0.75, 0.01]})"));
  EXPECT_EQ(*with_bm25.dense_sparse, (HeadWeights{0.5f, 1.f, 0.f, 0.02f}));
  EXPECT_EQ(*with_bm25.all, (HeadWeights{0.25f, 1.f, 0.75f, 0.01f}));
  const FusionWeights only_all = read_fusion_weights(dir_with(R"({"all": [1, 0, 0]})"));
  EXPECT_FALSE(only_all.dense_sparse);
  EXPECT_TRUE(only_all.all);
}

TEST(FusionWeights, MalformedFilesAreNamedErrors) {
  for (const char* bad : {"{not json", "[1, 2, 3]", R"({"all": [1, 0.3]})", R"({"all": [1, -0.3, 1]})",
                          R"({"all": [0, 0, 0]})", R"({"dense+sparse": [1, "x"]})", R"({"all": 1})",
                          R"({"all": [1, 0.3, 1, 0.1, 2]})", R"({"dense+sparse": [1, 0.3, 0.5, 0.1]})",
                          R"({"all": [1, 0.3, 1, -0.1]})"}) {
    const std::string d = dir_with(bad);
    try {
      read_fusion_weights(d);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(d + "/m3_fusion.json"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace m3

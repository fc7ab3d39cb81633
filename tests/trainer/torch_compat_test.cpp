// The autocast scopes the trainer uses: a scope turns bf16 matmuls on for the CPU (or CUDA), a pause
// turns them off inside it (scores and losses stay fp32), and both restore what was there before.
#include <gtest/gtest.h>

#include "trainer/torch_compat.h"

namespace m3::trainer {
namespace {

torch::ScalarType matmul_dtype() {
  auto a = torch::ones({4, 4}), b = torch::ones({4, 4});
  return torch::matmul(a, b).scalar_type();
}

TEST(TorchCompat, CpuAutocastScopeRunsMatmulsInBf16AndPauseRestoresFp32) {
  ASSERT_FALSE(compat::autocast_enabled(false));
  EXPECT_EQ(matmul_dtype(), torch::kFloat);
  {
    compat::AutocastScope scope(true, /*cuda=*/false);
    EXPECT_TRUE(compat::autocast_enabled(false));
    EXPECT_EQ(matmul_dtype(), torch::kBFloat16);
    {
      compat::AutocastPause fp32;
      EXPECT_FALSE(compat::autocast_enabled(false));
      EXPECT_EQ(matmul_dtype(), torch::kFloat);
    }
    EXPECT_EQ(matmul_dtype(), torch::kBFloat16);  // the pause gave the scope back
  }
  EXPECT_FALSE(compat::autocast_enabled(false));
  EXPECT_EQ(matmul_dtype(), torch::kFloat);
}

TEST(TorchCompat, AnOffScopeChangesNothing) {
  compat::AutocastScope scope(false, /*cuda=*/false);
  EXPECT_FALSE(compat::autocast_enabled(false));
  EXPECT_EQ(matmul_dtype(), torch::kFloat);
}

}  // namespace
}  // namespace m3::trainer

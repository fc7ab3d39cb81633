// Model directory reading: safetensors, torch zip, head files, name normalisation, and every kind of
// bad checkpoint reported by name and shape (never a crash).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>

#include "common/error.h"
#include "encoder/checkpoint.h"
#include "encoder/safetensors.h"
#include "encoder/torch_zip.h"
#include "test_helpers.h"

namespace m3 {
namespace {
using namespace m3::testing;

std::string copy_fixture(const std::string& name) {
  auto dir = temp_dir("ck");
  for (const char* f : {"config.json", "model.safetensors", "colbert_linear.pt", "sparse_linear.pt", "sentencepiece.bpe.model"})
    copy_file(fixture(name) + "/" + f, dir + "/" + f);
  return dir;
}

std::string error_of(const std::function<void()>& fn) {
  try { fn(); } catch (const Error& e) { return e.what(); }
  return "";
}

TEST(Checkpoint, LoadsAllThreeLayoutsToTheSameWeights) {
  auto a = load_checkpoint(fixture("tiny-m3"));
  auto b = load_checkpoint(fixture("tiny-m3-bin"));  // roberta. prefix, pooler, position_ids, .safetensors heads
  ASSERT_EQ(a.encoder.size(), expected_encoder_tensors(a.config).size());
  ASSERT_EQ(b.encoder.size(), a.encoder.size()) << "pooler/position_ids must be dropped, prefix stripped";
  for (const auto& [name, t] : a.encoder) EXPECT_EQ(t.to_float(), b.encoder.at(name).to_float()) << name;
  for (const auto& [name, t] : a.heads) EXPECT_EQ(t.to_float(), b.heads.at(name).to_float()) << name;
  EXPECT_EQ(a.heads.at("colbert.weight").dtype, DType::F16);  // stored as FlagEmbedding does
  auto c = load_checkpoint(fixture("tiny-m3-bf16"));
  EXPECT_EQ(c.encoder.at("embeddings.word_embeddings.weight").dtype, DType::BF16);
  EXPECT_NE(a.fingerprint, c.fingerprint);
}

TEST(Checkpoint, NormalisesNames) {
  EXPECT_EQ(normalise_tensor_name("roberta.encoder.layer.0.output.LayerNorm.gamma"), "encoder.layer.0.output.LayerNorm.weight");
  EXPECT_EQ(normalise_tensor_name("embeddings.LayerNorm.beta"), "embeddings.LayerNorm.bias");
  EXPECT_EQ(normalise_tensor_name("lm_head.dense.weight"), "");
  EXPECT_EQ(normalise_tensor_name("roberta.pooler.dense.weight"), "");
  EXPECT_EQ(normalise_tensor_name("embeddings.position_ids"), "");
}

TEST(Checkpoint, BgeM3ShapesFromTheRealConfig) {
  ModelConfig c;  // defaults are BGE-M3's config.json
  auto e = expected_encoder_tensors(c);
  EXPECT_EQ(e.size(), 389u);  // M3-SPEC §1.C: 5 + 24 * 16
  EXPECT_EQ(e[0].shape, (std::vector<int64_t>{250002, 1024}));
  EXPECT_EQ(c.max_tokens(), 8192);
  auto h = expected_head_tensors(c);
  EXPECT_EQ(h[0].shape, (std::vector<int64_t>{1024, 1024}));
  EXPECT_EQ(h[2].shape, (std::vector<int64_t>{1, 1024}));
}

TEST(Checkpoint, MissingFilesAreNamed) {
  EXPECT_NE(error_of([] { load_checkpoint("/nonexistent/model"); }).find("does not exist"), std::string::npos);
  for (const char* f : {"config.json", "model.safetensors", "colbert_linear.pt", "sparse_linear.pt", "sentencepiece.bpe.model"}) {
    auto dir = copy_fixture("tiny-m3");
    std::remove((dir + "/" + f).c_str());
    auto msg = error_of([&] { load_checkpoint(dir); });
    EXPECT_FALSE(msg.empty()) << f;
    std::string stem(f);
    stem = stem.substr(0, stem.find('.'));
    if (stem != "model") EXPECT_NE(msg.find(stem), std::string::npos) << msg;
  }
}

TEST(Checkpoint, TruncatedSafetensorsHeader) {
  auto dir = copy_fixture("tiny-m3");
  const std::string p = dir + "/model.safetensors";
  for (long size : {0L, 5L, 8L, 100L, 5000L}) {
    ASSERT_EQ(::truncate(p.c_str(), size), 0);
    auto msg = error_of([&] { read_safetensors(p); });
    EXPECT_NE(msg.find("truncated"), std::string::npos) << size << ": " << msg;
    copy_file(fixture("tiny-m3/model.safetensors"), p);
  }
}

TEST(Checkpoint, CorruptTorchZip) {
  auto dir = copy_fixture("tiny-m3");
  const std::string p = dir + "/colbert_linear.pt";
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  for (long size : {0L, 10L, st.st_size / 2, st.st_size - 30}) {
    ASSERT_EQ(::truncate(p.c_str(), size), 0);
    EXPECT_FALSE(error_of([&] { read_torch_zip(p); }).empty()) << size;
    copy_file(fixture("tiny-m3/colbert_linear.pt"), p);
  }
}

TEST(Checkpoint, WrongShapesAndMissingTensorsAreListedByName) {
  auto dir = copy_fixture("tiny-m3");
  auto tensors = read_safetensors(dir + "/model.safetensors");
  tensors.erase("encoder.layer.1.output.dense.bias");
  auto& q = tensors["encoder.layer.0.attention.self.query.weight"];
  q = raw_from_float(std::vector<float>(32 * 16, 0.f), {32, 16}, DType::F32);
  write_safetensors(dir + "/model.safetensors", tensors);
  auto msg = error_of([&] { load_checkpoint(dir); });
  EXPECT_NE(msg.find("missing tensor 'encoder.layer.1.output.dense.bias' [32]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'encoder.layer.0.attention.self.query.weight' has shape [32, 16], expected [32, 32]"), std::string::npos) << msg;
}

TEST(Checkpoint, BadConfigValues) {
  auto dir = copy_fixture("tiny-m3");
  std::ofstream(dir + "/config.json") << R"({"hidden_size": 30, "num_attention_heads": 4})";
  EXPECT_NE(error_of([&] { load_checkpoint(dir); }).find("not a multiple"), std::string::npos);
  std::ofstream(dir + "/config.json") << R"({"hidden_size": "big"})";
  EXPECT_NE(error_of([&] { load_checkpoint(dir); }).find("hidden_size"), std::string::npos);
  std::ofstream(dir + "/config.json") << "{broken";
  EXPECT_NE(error_of([&] { load_checkpoint(dir); }).find("malformed JSON"), std::string::npos);
  // Deep nesting is refused before parsing (it overflowed the stack in nlohmann's recursion).
  std::ofstream(dir + "/config.json") << R"({"hidden_size": 32, "x": )" << std::string(100000, '[') << std::string(100000, ']') << "}";
  EXPECT_NE(error_of([&] { load_checkpoint(dir); }).find("nested deeper than 64"), std::string::npos);
}

TEST(RawTensor, HalfAndBfloatConversionsRoundTrip) {
  std::vector<float> v = {0.f, 1.f, -2.5f, 65504.f, 1e-7f, 3.14159f};
  auto h = raw_from_float(v, {6}, DType::F16).to_float();
  auto b = raw_from_float(v, {6}, DType::BF16).to_float();
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_NEAR(h[i], v[i], std::abs(v[i]) * 1e-3 + 1e-7);
    EXPECT_NEAR(b[i], v[i], std::abs(v[i]) * 8e-3 + 1e-9);
  }
}

}  // namespace
}  // namespace m3

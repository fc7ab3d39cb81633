// The batched Encoder and the M3 module: position ids, heads, scores, batching order, MCLS, precision,
// and save -> load round trips of the public layout.
#include <gtest/gtest.h>

#include "common/error.h"
#include "encoder/encoder.h"
#include "encoder/m3_model.h"
#include "encoder/scores.h"
#include "test_helpers.h"

namespace m3 {
namespace {
using namespace m3::testing;

TEST(XlmRoberta, PositionIdsFollowRoberta) {
  ModelConfig c = load_checkpoint(fixture("tiny-m3")).config;
  XlmRoberta m(c);
  auto ids = torch::tensor({0, 50, 60, 2, 1, 1}, torch::kLong).view({1, 6});
  auto pos = m->position_ids(ids);
  std::vector<int64_t> got(pos.data_ptr<int64_t>(), pos.data_ptr<int64_t>() + 6);
  EXPECT_EQ(got, (std::vector<int64_t>{2, 3, 4, 5, 1, 1}));  // first real token 2, pads = padding_idx 1
}

TEST(Encoder, OutputsKeepInputOrderWhateverTheBatchSize) {
  auto texts = fixture_texts();
  std::vector<std::vector<Embedding>> runs;
  for (int bs : {1, 3, 64}) {
    EncoderOptions o;
    o.batch_size = bs;
    runs.push_back(Encoder::load(fixture("tiny-m3"), o)->encode(texts));
  }
  for (size_t r = 1; r < runs.size(); ++r)
    for (size_t i = 0; i < texts.size(); ++i) {
      EXPECT_EQ(runs[r][i].input_ids, runs[0][i].input_ids) << texts[i];
      EXPECT_GE(cosine(runs[r][i].dense, runs[0][i].dense), 0.99999) << texts[i];
      EXPECT_EQ(runs[r][i].sparse.ids, runs[0][i].sparse.ids);
    }
}

TEST(Encoder, MaxBatchTokensBoundsPaddedBatches) {
  EncoderOptions o;
  o.max_batch_tokens = 64;  // forces batches of one for long inputs
  auto a = Encoder::load(fixture("tiny-m3"), o)->encode(fixture_texts());
  auto b = Encoder::load(fixture("tiny-m3"), {})->encode(fixture_texts());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_GE(cosine(a[i].dense, b[i].dense), 0.99999);
}

TEST(EncoderDevice, AutoRunsWhereLibTorchCanAndCudaWithoutAGpuIsAUsageError) {
  EXPECT_EQ(parse_device("auto"), Device::Auto);
  EXPECT_EQ(parse_device("cpu"), Device::Cpu);
  EXPECT_EQ(parse_device("cuda"), Device::Cuda);
  EXPECT_THROW(parse_device("gpu"), UsageError);
  EXPECT_EQ(parse_precision("auto"), Precision::Auto);
  EXPECT_THROW(parse_precision("fp16"), UsageError);
  EncoderOptions cpu, automatic, cuda;
  cpu.device = Device::Cpu;
  automatic.device = Device::Auto;
  cuda.device = Device::Cuda;
  auto on_cpu = Encoder::load(fixture("tiny-m3"), cpu);
  EXPECT_EQ(on_cpu->device_name(), "cpu");
  EXPECT_FALSE(on_cpu->bf16()) << "auto precision is fp32 on the CPU";
  auto chosen = Encoder::load(fixture("tiny-m3"), automatic);
  if (!torch::cuda::is_available()) {
    EXPECT_EQ(chosen->device_name(), "cpu");
    try {
      Encoder::load(fixture("tiny-m3"), cuda);
      ADD_FAILURE() << "--device cuda loaded without a GPU";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("no CUDA device"), std::string::npos) << e.what();
    }
  } else {
    EXPECT_EQ(chosen->device_name(), "cuda:0");
    EXPECT_TRUE(chosen->bf16()) << "auto precision is bf16 on a GPU";
  }
  // Wherever auto put it, the outputs agree with the CPU's (bf16 on a GPU: the tolerances).
  const auto texts = fixture_texts();
  const auto a = on_cpu->encode(texts), b = chosen->encode(texts);
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(a[i].input_ids, b[i].input_ids);
    EXPECT_GE(cosine(a[i].dense, b[i].dense), chosen->bf16() ? 0.999 : 0.99999) << texts[i];
    EXPECT_GE(cosine(a[i].colbert, b[i].colbert), chosen->bf16() ? 0.999 : 0.99999) << texts[i];
  }
}

TEST(Encoder, HeadsFollowTheSpec) {
  auto enc = Encoder::load(fixture("tiny-m3"), {});
  auto e = enc->encode({"repeat repeat repeat repeat the same word"})[0];
  const int n = static_cast<int>(e.input_ids.size());
  EXPECT_EQ(e.colbert_rows, n - 1);  // <s> excluded, </s> included
  EXPECT_EQ(e.colbert_dim, enc->multivec_dim());
  for (int r = 0; r < e.colbert_rows; ++r) {
    double norm = 0;
    for (int d = 0; d < e.colbert_dim; ++d) norm += e.colbert_row(r)[d] * e.colbert_row(r)[d];
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
  double dn = 0;
  for (float v : e.dense) dn += v * v;
  EXPECT_NEAR(dn, 1.0, 1e-5);
  for (size_t i = 0; i < e.sparse.ids.size(); ++i) {
    EXPECT_GT(e.sparse.ids[i], 3u);  // specials and <unk> never carry lexical weight
    EXPECT_GT(e.sparse.weights[i], 0.f);
    if (i) EXPECT_LT(e.sparse.ids[i - 1], e.sparse.ids[i]);  // one entry per id (max over repeats)
  }
}

TEST(Encoder, EmptyAndWhitespaceTextsEncode) {
  auto enc = Encoder::load(fixture("tiny-m3"), {});
  auto out = enc->encode({"", "   ", "x"});
  EXPECT_EQ(out[0].input_ids, (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(out[0].colbert_rows, 1);
  EXPECT_TRUE(out[0].sparse.empty());
  EXPECT_EQ(out[1].input_ids, out[0].input_ids);
}

TEST(Encoder, LongInputsAreTruncatedToTheModelLimit) {
  auto enc = Encoder::load(fixture("tiny-m3"), {});
  EXPECT_EQ(enc->max_length(), 64);  // read from config.json (max_position_embeddings 66)
  std::string big;
  while (big.size() < 100000) big += "word ";
  auto e = enc->encode({big})[0];
  EXPECT_EQ(e.input_ids.size(), 64u);
  EXPECT_THROW(enc->encode({std::string("bad \xc3")}), Error);
  EXPECT_THROW(enc->encode_ids({{0, 99999, 2}}), Error);
  EXPECT_THROW(enc->encode_ids({{0}}), Error);
}

TEST(Encoder, McslInsertsClsEveryIntervalAndExcludesThemFromColbert) {
  EncoderOptions o;
  o.mcls = true;
  o.mcls_interval = 4;
  auto enc = Encoder::load(fixture("tiny-m3"), o);
  const std::string text = "the same word the same word again and again and again";
  auto plain = Encoder::load(fixture("tiny-m3"), {})->tokenizer().pieces(text);
  auto ids = enc->tokenize(text, 64);
  size_t cls = 0;
  for (auto id : ids) cls += id == 0;
  EXPECT_EQ(cls, (plain.size() + 3) / 4);
  EXPECT_EQ(ids.size(), plain.size() + cls + 1);
  auto e = enc->encode({text})[0];
  EXPECT_EQ(e.colbert_rows, static_cast<int>(plain.size()) + 1);
  // budget: inserted <s> count against max_length
  auto cut = enc->tokenize(text, 10);
  EXPECT_LE(cut.size(), 10u);
  EXPECT_EQ(cut.front(), 0);
  EXPECT_EQ(cut.back(), 2);
}

TEST(Encoder, Bf16StaysCloseToFp32) {
  EncoderOptions o;
  o.precision = Precision::BF16;
  auto a = Encoder::load(fixture("tiny-m3"), {})->encode(fixture_texts());
  auto b = Encoder::load(fixture("tiny-m3"), o)->encode(fixture_texts());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_GE(cosine(a[i].dense, b[i].dense), 0.99);
    double n = 0;
    for (float v : b[i].dense) n += v * v;
    EXPECT_NEAR(n, 1.0, 1e-5);  // re-normalised in fp32: the index rejects vectors off the unit sphere
  }
}

TEST(Encoder, SaveThenLoadGivesTheSameOutputs) {
  auto ck = load_checkpoint(fixture("tiny-m3"));
  auto model = load_m3_model(ck);
  auto dir = temp_dir("save");
  model->save(dir, DType::F32);
  copy_file(ck.tokenizer_path, dir + "/sentencepiece.bpe.model");
  auto a = Encoder::load(fixture("tiny-m3"), {})->encode(fixture_texts());
  auto b = Encoder::load(dir, {})->encode(fixture_texts());  // .pt heads written by LibTorch, read by our reader
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_GE(cosine(a[i].dense, b[i].dense), 0.999999);
    EXPECT_EQ(a[i].sparse.ids, b[i].sparse.ids);
  }
}

TEST(Scores, HandComputed) {
  Embedding q, p;
  q.dense = {0.6f, 0.8f};
  p.dense = {1.f, 0.f};
  q.sparse = {{5, 9, 12}, {0.5f, 0.2f, 0.1f}};
  p.sparse = {{5, 12, 40}, {0.4f, 0.3f, 0.9f}};
  q.colbert_dim = p.colbert_dim = 2;
  q.colbert = {1, 0, 0, 1};
  q.colbert_rows = 2;
  p.colbert = {0.6f, 0.8f, -1, 0, 0, -1};
  p.colbert_rows = 3;
  auto s = all_scores(q, p);
  EXPECT_FLOAT_EQ(s.dense, 0.6f);
  EXPECT_FLOAT_EQ(s.sparse, 0.5f * 0.4f + 0.1f * 0.3f);
  EXPECT_FLOAT_EQ(s.multivec, (0.6f + 0.8f) / 2);
  EXPECT_FLOAT_EQ(hybrid_score(s, {1.f, 0.3f, 1.f}), 0.6f + 0.3f * 0.23f + 0.7f);
  // unpadded definition: a negative best match stays negative (no implicit zero rows)
  Embedding neg = p;
  neg.colbert = {-0.6f, -0.8f, -0.8f, -0.6f};
  neg.colbert_rows = 2;
  EXPECT_FLOAT_EQ(multivec_score(q, neg), -0.6f);
}

}  // namespace
}  // namespace m3

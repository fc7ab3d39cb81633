// Test fixture: a tiny synthetic retrieval corpus all three heads can learn (seconds on a CPU).
// Queries are 3 random content ids; the positive repeats them plus one more id; negatives are other
// random texts.
#pragma once
#include <filesystem>
#include <string>

#include "trainer/rng.h"
#include "trainer/token_corpus.h"

namespace m3::test {

inline std::string write_tiny_corpus(const std::filesystem::path& dir, int examples, uint64_t seed) {
  trainer::TokenCorpus c;
  c.vocab_size = 64;
  const uint16_t d = c.dataset_id("synthetic");
  trainer::Rng rng(seed);
  auto id = [&] { return static_cast<int32_t>(4 + rng.below(59)); };
  for (int i = 0; i < examples; ++i) {
    const int32_t a = id(), b = id(), e = id();
    trainer::ExampleRefs ex;
    ex.dataset = d;
    ex.query = c.add_text({0, a, b, e, 2});
    ex.pos.push_back(c.add_text({0, id(), a, b, e, 2}));
    for (int k = 0; k < 3; ++k) ex.neg.push_back(c.add_text({0, id(), id(), id(), id(), 2}));
    c.add_example(ex);
  }
  const auto path = (dir / "tiny.tok").string();
  trainer::write_token_corpus(path, c);
  return path;
}

}  // namespace m3::test

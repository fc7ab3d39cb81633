// Sampling helpers shared by the parallel-data converters (prep_parallel.cpp, prep_bibles.cpp,
// prep_names.cpp): which two languages of an aligned unit become a training pair, and a random subset
// of candidates for hard negatives.
#pragma once
#include <cstddef>
#include <vector>

#include "trainer/rng.h"

namespace m3::trainer {

// Up to n distinct elements of candidates, in random order.
template <typename T>
std::vector<T> pick(std::vector<T> candidates, int n, Rng& rng) {
  rng.shuffle(candidates);
  if (candidates.size() > static_cast<size_t>(n)) candidates.resize(static_cast<size_t>(n));
  return candidates;
}

struct LanguagePair {
  size_t a, b;
};

// A random ordered pair of distinct languages, uniform over the languages (so that every language gets
// the same share of pairs, however many sources it has); with probability english_side one of them is
// `english` (the dev sets pair every language with English). english >= languages: no English side.
inline LanguagePair language_pair(size_t languages, size_t english, double english_side, Rng& rng) {
  size_t a = rng.below(languages), b = rng.below(languages);
  if (english < languages && rng.uniform() < english_side) {
    if (rng.below(2)) a = english; else b = english;
  }
  while (b == a) b = rng.below(languages);
  return {a, b};
}

}  // namespace m3::trainer

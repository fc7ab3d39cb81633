// Paired significance tests between two systems' per-query scores (same queries, same order), as
// evaluation toolkits offer them (ranx, trec_eval's companion scripts, Smucker et al. 2007).
//   randomization_test  two-sided paired randomization (permutation) test: each permutation swaps the
//                       two systems' scores of every query with probability 1/2 and compares
//                       |mean difference| with the observed one; p = (hits + 1) / (permutations + 1)
//                       (never 0, the usual unbiased estimate). Seeded, so a table is reproducible.
//   paired_t_test       two-sided paired Student t-test (n - 1 degrees of freedom).
// Both give 1 when there are fewer than 2 queries or the systems never differ.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace m3 {

double randomization_test(const std::vector<double>& a, const std::vector<double>& b, size_t permutations, uint64_t seed);
double paired_t_test(const std::vector<double>& a, const std::vector<double>& b);

// Regularised incomplete beta I_x(a, b) (the t distribution's tail), exposed for tests.
double incomplete_beta(double a, double b, double x);

}  // namespace m3

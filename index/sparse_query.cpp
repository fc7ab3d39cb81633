// The three query processors of SparseIndex::search. All work on the integer score scale of
// impact.h, rank by (float score desc, doc asc) through TopK, and prune only when a bound
// proves a document cannot enter: to_score(bound) <= threshold. "<=" is safe because documents
// arrive in increasing doc order, so a newcomer tied with the current k-th hit loses the tie.
// MaxScore and BMW also start from a floor, a proven lower bound of the final k-th score taken before any
// document is scored; below a floor pruning must be strict (to_score(bound) < floor), since a
// document that ties the final k-th hit may still win on its doc id.
#include <algorithm>
#include <functional>
#include <vector>

#include "index/posting_cursor.h"
#include "index/sparse_index.h"
#include "index/topk.h"

namespace m3 {
namespace {

struct Ctx {
  TopK topk;
  double mult;  // unit·scale
  const Bitmap* deleted;
  float floor = 0;         // a proven lower bound of the final k-th score (seed_floor()), or 0
  uint64_t min_enter = 0;  // the smallest integer score that can still enter (refresh())

  // Could a document whose integer score is at most `bound` still enter the top-k?
  // Means to_score(bound) >= floor && (!full || to_score(bound) > worst), kept as one integer.
  bool can_enter(uint64_t bound) const { return bound >= min_enter; }
  bool live(uint32_t doc) const { return !deleted || !deleted->test(doc); }
  void push(uint32_t doc, uint64_t sum) {
    if (live(doc) && topk.push(doc, to_score(sum, mult)) && topk.full()) refresh();
  }
  // to_score is monotone in the integer sum, so the float test above is "sum >= some integer":
  // find it from the float estimate by galloping (a few dozen to_score calls per heap change).
  void refresh() {
    auto enters = [&](uint64_t b) {
      float s = to_score(b, mult);
      return s >= floor && (!topk.full() || s > topk.worst().score);
    };
    if (enters(min_enter)) return;  // thresholds only rise: min_enter is still the answer
    uint64_t lo = min_enter, hi;    // !enters(lo)
    double target = std::max<double>(floor, topk.full() ? topk.worst().score : 0) / mult;
    uint64_t guess = uint64_t(std::max(0.0, target * (1 - 1e-6)));
    if (guess > lo && enters(guess)) {
      hi = guess;
    } else {
      lo = std::max(lo, guess);
      for (uint64_t step = std::max<uint64_t>(1, lo >> 26);; step *= 2) {
        hi = lo + step;
        if (enters(hi)) break;
        lo = hi;
      }
    }
    while (hi - lo > 1) {  // invariant: !enters(lo), enters(hi)
      uint64_t mid = lo + (hi - lo) / 2;
      (enters(mid) ? hi : lo) = mid;
    }
    min_enter = hi;
  }
};

std::vector<PostingCursor> open_cursors(const SparseIndex& idx, const QuantizedQuery& q) {
  std::vector<PostingCursor> cs;
  cs.reserve(q.terms.size());
  for (size_t i = 0; i < q.terms.size(); ++i)
    if (const TermInfo* ti = idx.find_term(q.terms[i])) cs.emplace_back(idx, *ti, q.weights[i]);
  return cs;
}

// Term-at-a-time over every posting: the exact reference.
void exhaustive(const SparseIndex& idx, std::vector<PostingCursor>& cs, Ctx& c) {
  std::vector<uint64_t> acc(idx.num_docs(), 0);
  for (auto& cur : cs)
    for (; cur.doc() != kEndDoc; cur.next()) acc[cur.doc()] += cur.score();
  for (uint32_t d = 0; d < acc.size(); ++d)
    if (acc[d] && c.can_enter(acc[d])) c.push(d, acc[d]);
}

// A lower bound of the final k-th score before any document is scored: k postings of one list are k
// distinct documents, each scoring at least its posting, so the k-th largest posting score of any one
// list will do -- or the k-th largest block maximum (each block holds a posting at its maximum),
// which needs no decoding. Lists are tried by decreasing max score until none can raise the bound.
// With tombstones the caller asks for the (k + deleted rows)-th, so that k of those docs are live.
uint64_t seed_threshold(const SparseIndex& idx, const std::vector<PostingCursor*>& by_max_desc, size_t k) {
  uint64_t best = 0;
  std::vector<uint8_t> vals;
  for (const PostingCursor* cur : by_max_desc) {
    if (cur->max_score() <= best) break;
    if (cur->df() < k) continue;
    const uint64_t b0 = cur->first_block(), b1 = cur->end_block();
    vals.clear();
    if (b1 - b0 >= k) {
      vals.assign(idx.block_max() + b0, idx.block_max() + b1);
    } else {  // few blocks: every impact (stored raw after each block's doc ids)
      for (uint64_t b = b0; b < b1; ++b) {
        uint32_t count = uint32_t(b + 1 < b1 ? kBlockSize : cur->df() - (b - b0) * kBlockSize);
        const uint8_t* imp = idx.postings() + idx.block_offset()[b + 1] - count;
        vals.insert(vals.end(), imp, imp + count);
      }
    }
    std::nth_element(vals.begin(), vals.begin() + (k - 1), vals.end(), std::greater<uint8_t>());
    best = std::max(best, uint64_t(vals[k - 1]) * cur->weight());
  }
  return best;
}

// Sets c's floor from seed_threshold() (cs sorted by ascending max score; tombstoned rows counted).
void seed_floor(const SparseIndex& idx, std::vector<PostingCursor>& cs, Ctx& c) {
  std::vector<PostingCursor*> desc;
  for (size_t i = cs.size(); i-- > 0;) desc.push_back(&cs[i]);
  if (uint64_t seed = seed_threshold(idx, desc, c.topk.k() + (c.deleted ? c.deleted->count() : 0))) {
    c.floor = to_score(seed, c.mult);
    c.refresh();
  }
}

// MaxScore (Turtle & Flood), document-at-a-time: lists sorted by max score; the prefix whose summed
// max scores cannot reach the threshold is "non-essential" and only probed for candidates that the
// essential lists produced. The threshold starts from seed_threshold(), as BMW's does.
void maxscore(const SparseIndex& idx, std::vector<PostingCursor>& cs, Ctx& c) {
  std::sort(cs.begin(), cs.end(), [](const PostingCursor& a, const PostingCursor& b) { return a.max_score() < b.max_score(); });
  seed_floor(idx, cs, c);
  const size_t n = cs.size();
  std::vector<uint64_t> prefix(n);
  uint64_t run = 0;
  for (size_t i = 0; i < n; ++i) prefix[i] = run += cs[i].max_score();
  size_t non_essential = 0;
  while (non_essential < n && !c.can_enter(prefix[non_essential])) ++non_essential;
  uint32_t cur = kEndDoc;
  for (auto& x : cs) cur = std::min(cur, x.doc());
  while (non_essential < n && cur != kEndDoc) {
    uint64_t score = 0;
    uint32_t next = kEndDoc;
    for (size_t i = non_essential; i < n; ++i) {
      if (cs[i].doc() == cur) {
        score += cs[i].score();
        cs[i].next();
      }
      next = std::min(next, cs[i].doc());
    }
    bool alive = c.live(cur);
    for (size_t i = non_essential; alive && i-- > 0;) {
      if (!c.can_enter(score + prefix[i])) {
        alive = false;
        break;
      }
      cs[i].next_geq(cur);
      if (cs[i].doc() == cur) score += cs[i].score();
    }
    if (alive && c.can_enter(score)) {
      c.push(cur, score);
      while (non_essential < n && !c.can_enter(prefix[non_essential])) ++non_essential;
    }
    cur = next;
  }
}

// Block-max WAND (Ding & Suel) on MaxScore's split into essential and non-essential lists.
// The lists whose max scores sum to no more than the threshold (the frequent, low-weight ones) cannot
// bring a document in by themselves: they take no part in pivoting and are only probed, block maximum
// first, for a pivot whose essential part has been scored -- plain BMW aligns every list before
// the pivot on it, which on learned-sparse queries means decoding the long low-weight lists for
// almost every candidate. With this split WAND's pivot is always the smallest current doc of the
// essential lists (each of them can reach the threshold together with the non-essential bound), so
// the pruning is BMW's block-max test: the block maxima of the lists on the pivot, plus the
// non-essential bound, either let it be scored or prove that nothing before the end of the shortest
// of those blocks (or the next essential list's doc) can enter, and those lists jump there.
// The threshold starts from seed_threshold(), so the search does not begin with a near-zero bar.
void block_max_wand(const SparseIndex& idx, std::vector<PostingCursor>& cs, Ctx& c) {
  const size_t n = cs.size();
  std::sort(cs.begin(), cs.end(), [](const PostingCursor& a, const PostingCursor& b) { return a.max_score() < b.max_score(); });
  seed_floor(idx, cs, c);
  std::vector<uint64_t> prefix(n);  // prefix[i]: sum of the max scores of cs[0..i]
  uint64_t run = 0;
  for (size_t i = 0; i < n; ++i) prefix[i] = run += cs[i].max_score();
  size_t ne = 0;  // cs[0..ne) are non-essential
  while (ne < n && !c.can_enter(prefix[ne])) ++ne;
  std::vector<PostingCursor*> ord;  // the essential lists, by current doc
  for (size_t i = ne; i < n; ++i) ord.push_back(&cs[i]);
  // After ord[0..moved) advanced, the rest is still sorted: sink the moved ones into it, last first.
  auto resort = [&](size_t moved) {
    for (size_t i = moved; i-- > 0;) {
      PostingCursor* x = ord[i];
      size_t j = i;
      for (; j + 1 < ord.size() && ord[j + 1]->doc() < x->doc(); ++j) ord[j] = ord[j + 1];
      ord[j] = x;
    }
  };
  resort(ord.size());
  while (!ord.empty() && ord[0]->doc() != kEndDoc) {
    const uint32_t pivot = ord[0]->doc();
    const size_t m = ord.size();
    size_t on = 1;  // ord[0..on) are on the pivot
    while (on < m && ord[on]->doc() == pivot) ++on;
    const uint64_t ne_bound = ne ? prefix[ne - 1] : 0;
    uint64_t block_upper = ne_bound;
    for (size_t i = 0; i < on; ++i) block_upper += ord[i]->block_max_score(pivot);
    if (!c.can_enter(block_upper)) {
      // Docs in [pivot, next) hold essential postings only in the current blocks of ord[0..on).
      uint64_t next = on < m ? ord[on]->doc() : kEndDoc;
      for (size_t i = 0; i < on; ++i) next = std::min<uint64_t>(next, uint64_t(ord[i]->block_last_doc()) + 1);
      for (size_t i = 0; i < on; ++i) ord[i]->next_geq(uint32_t(next));
      resort(on);
      continue;
    }
    uint64_t score = 0;
    for (size_t i = 0; i < on; ++i) {
      score += ord[i]->score();
      ord[i]->next();
    }
    bool alive = c.live(pivot);
    for (size_t j = ne; alive && j-- > 0;) {  // probe the non-essential lists, largest bound first
      const uint64_t rest = j ? prefix[j - 1] : 0;
      if (!c.can_enter(score + cs[j].max_score() + rest) || !c.can_enter(score + cs[j].block_max_score(pivot) + rest)) {
        alive = false;
        break;
      }
      cs[j].next_geq(pivot);
      if (cs[j].doc() == pivot) score += cs[j].score();
    }
    size_t moved = on;
    if (alive && c.can_enter(score)) {
      c.push(pivot, score);
      for (; ne < n && !c.can_enter(prefix[ne]); ++ne) {  // the threshold rose: fewer essential lists
        auto it = std::find(ord.begin(), ord.end(), &cs[ne]);
        if (it < ord.begin() + ptrdiff_t(moved)) --moved;
        ord.erase(it);
      }
    }
    resort(moved);
  }
}

}  // namespace

std::vector<ScoredDoc> SparseIndex::search(const QuantizedQuery& q, int k, SparseAlgo algo, const Bitmap* deleted) const {
  if (k <= 0 || q.empty() || n_docs_ == 0) return {};
  Ctx c{TopK(size_t(k)), q.unit * double(scale_), deleted};
  auto cs = open_cursors(*this, q);
  if (cs.empty()) return {};
  switch (algo) {
    case SparseAlgo::Exhaustive: exhaustive(*this, cs, c); break;
    case SparseAlgo::MaxScore: maxscore(*this, cs, c); break;
    case SparseAlgo::BlockMaxWand: block_max_wand(*this, cs, c); break;
  }
  return c.topk.take();
}

const char* to_string(SparseAlgo algo) {
  switch (algo) {
    case SparseAlgo::Exhaustive: return "exhaustive";
    case SparseAlgo::MaxScore: return "maxscore";
    case SparseAlgo::BlockMaxWand: return "bmw";
  }
  return "?";
}

SparseAlgo parse_sparse_algo(const std::string& name) {
  if (name == "exhaustive" || name == "taat") return SparseAlgo::Exhaustive;
  if (name == "maxscore") return SparseAlgo::MaxScore;
  if (name == "bmw" || name == "block-max-wand") return SparseAlgo::BlockMaxWand;
  throw UsageError("unknown sparse algorithm '" + name + "' (expected exhaustive, maxscore or bmw)");
}

}  // namespace m3

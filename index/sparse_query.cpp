// The three query processors of SparseIndex::search. All work on the integer score scale of
// impact.h, rank by (float score desc, doc asc) through TopK, and prune only when a bound
// proves a document cannot enter: to_score(bound) <= threshold. "<=" is safe because documents
// arrive in increasing doc order, so a newcomer tied with the current k-th hit loses the tie.
#include <algorithm>
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
  // Could a document whose integer score is at most `bound` still enter the top-k?
  bool can_enter(uint64_t bound) const { return !topk.full() || to_score(bound, mult) > topk.worst().score; }
  bool live(uint32_t doc) const { return !deleted || !deleted->test(doc); }
  void push(uint32_t doc, uint64_t sum) {
    if (live(doc)) topk.push(doc, to_score(sum, mult));
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

// MaxScore (Turtle & Flood), document-at-a-time: lists sorted by max score; the prefix whose summed
// max scores cannot reach the threshold is "non-essential" and only probed for candidates that the
// essential lists produced.
void maxscore(std::vector<PostingCursor>& cs, Ctx& c) {
  std::sort(cs.begin(), cs.end(), [](const PostingCursor& a, const PostingCursor& b) { return a.max_score() < b.max_score(); });
  const size_t n = cs.size();
  std::vector<uint64_t> prefix(n);
  uint64_t run = 0;
  for (size_t i = 0; i < n; ++i) prefix[i] = run += cs[i].max_score();
  size_t non_essential = 0;
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

// Block-max WAND (Ding & Suel), as in PISA: pick the pivot with list max scores, then check the
// pivot's block maxima before decoding anything; skip to the end of the shortest block otherwise.
void block_max_wand(std::vector<PostingCursor>& cs, Ctx& c) {
  const size_t n = cs.size();
  std::vector<PostingCursor*> ord(n);
  for (size_t i = 0; i < n; ++i) ord[i] = &cs[i];
  auto by_doc = [](const PostingCursor* a, const PostingCursor* b) { return a->doc() < b->doc(); };
  std::sort(ord.begin(), ord.end(), by_doc);
  auto bubble_down = [&](size_t i) {
    for (; i + 1 < n && ord[i + 1]->doc() < ord[i]->doc(); ++i) std::swap(ord[i], ord[i + 1]);
  };
  while (true) {
    uint64_t upper = 0;
    size_t pivot = n;
    for (size_t i = 0; i < n; ++i) {
      if (ord[i]->doc() == kEndDoc) break;
      upper += ord[i]->max_score();
      if (c.can_enter(upper)) {
        pivot = i;
        break;
      }
    }
    if (pivot == n) return;
    const uint32_t pivot_id = ord[pivot]->doc();
    while (pivot + 1 < n && ord[pivot + 1]->doc() == pivot_id) ++pivot;
    uint64_t block_upper = 0;
    for (size_t i = 0; i <= pivot; ++i) block_upper += ord[i]->block_max_score(pivot_id);
    if (c.can_enter(block_upper)) {
      if (ord[0]->doc() == pivot_id) {
        uint64_t score = 0;
        for (size_t i = 0; i <= pivot; ++i) {
          score += ord[i]->score();
          ord[i]->next();
        }
        if (c.can_enter(score)) c.push(pivot_id, score);
        std::sort(ord.begin(), ord.end(), by_doc);
      } else {
        size_t next_list = pivot;
        while (ord[next_list]->doc() == pivot_id) --next_list;
        ord[next_list]->next_geq(pivot_id);
        bubble_down(next_list);
      }
    } else {
      size_t next_list = pivot;
      uint64_t max_weight = ord[pivot]->max_score();
      for (size_t i = 0; i < pivot; ++i)
        if (ord[i]->max_score() > max_weight) {
          next_list = i;
          max_weight = ord[i]->max_score();
        }
      uint64_t next = kEndDoc;
      for (size_t i = 0; i <= pivot; ++i) next = std::min<uint64_t>(next, uint64_t(ord[i]->block_last_doc()) + 1);
      if (pivot + 1 < n) next = std::min<uint64_t>(next, ord[pivot + 1]->doc());
      if (next <= pivot_id) next = uint64_t(pivot_id) + 1;
      ord[next_list]->next_geq(uint32_t(std::min<uint64_t>(next, kEndDoc)));
      bubble_down(next_list);
    }
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
    case SparseAlgo::MaxScore: maxscore(cs, c); break;
    case SparseAlgo::BlockMaxWand: block_max_wand(cs, c); break;
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

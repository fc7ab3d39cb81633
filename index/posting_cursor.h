// Iterator over one term's posting list in a SparseIndex, block by block.
// next()/next_geq() decode a block of 128 only when they land in it; the "shallow" pointer reads
// block-max metadata ahead of the decoded block without decoding (BMW's block upper bounds), and
// the decoded block's own bound and last doc are kept at hand.
#pragma once
#include <streamvbytedelta.h>

#include <cstdint>

#include "index/sparse_index.h"

namespace m3 {

constexpr uint32_t kEndDoc = UINT32_MAX;

class PostingCursor {
 public:
  PostingCursor(const SparseIndex& idx, const TermInfo& ti, uint32_t query_weight)
      : idx_(&idx), weight_(query_weight), block_(ti.first_block), end_block_(ti.first_block + ti.n_blocks),
        df_(ti.df), max_score_(uint64_t(ti.max_impact) * query_weight), shallow_(ti.first_block), first_block_(ti.first_block) {
    load(block_);
  }

  uint32_t doc() const { return doc_; }
  uint64_t score() const { return uint64_t(impacts_[pos_]) * weight_; }  // integer scale (impact.h)
  uint64_t max_score() const { return max_score_; }
  uint32_t df() const { return df_; }
  uint32_t weight() const { return weight_; }
  uint64_t first_block() const { return first_block_; }
  uint64_t end_block() const { return end_block_; }

  void next() {
    if (++pos_ < count_) {
      doc_ = docs_[pos_];
      return;
    }
    if (++block_ >= end_block_) return finish();
    load(block_);
  }

  // First posting with doc >= target (or the end).
  void next_geq(uint32_t target) {
    if (doc_ >= target) return;
    if (block_last_ < target) {
      const uint32_t* last = idx_->block_last();
      do {
        if (++block_ >= end_block_) return finish();
      } while (last[block_] < target);
      load(block_);
    }
    while (docs_[pos_] < target) ++pos_;
    doc_ = docs_[pos_];
  }

  // Upper bound (integer scale) of this list's score for every doc in [target, block_last_doc()]:
  // the max of the block that would hold `target`, 0 past the end. Targets must not decrease. The
  // decoded block's bound is cached; later blocks are read through the shallow pointer, from the
  // block metadata only, so bounding a doc never decodes anything.
  uint64_t block_max_score(uint32_t target) {
    if (target <= block_last_) {
      shallow_ = block_;
      return block_score_;
    }
    const uint32_t* last = idx_->block_last();
    if (shallow_ <= block_) shallow_ = block_ + 1;
    while (shallow_ < end_block_ && last[shallow_] < target) ++shallow_;
    return shallow_ < end_block_ ? uint64_t(idx_->block_max()[shallow_]) * weight_ : 0;
  }
  // Last doc of that block (kEndDoc - 1 past the end, so "+1" stays in range).
  uint32_t block_last_doc() const {
    if (shallow_ == block_) return block_last_;
    return shallow_ < end_block_ ? idx_->block_last()[shallow_] : kEndDoc - 1;
  }

 private:
  void load(uint64_t b) {
    count_ = uint32_t(b + 1 < end_block_ ? kBlockSize : df_ - (b - first_block_) * kBlockSize);
    uint32_t prev = b > first_block_ ? idx_->block_last()[b - 1] : 0;
    const uint8_t* p = idx_->postings() + idx_->block_offset()[b];
    size_t nb = streamvbyte_delta_decode(p, docs_, count_, prev);
    impacts_ = p + nb;
    pos_ = 0;
    doc_ = docs_[0];
    block_last_ = idx_->block_last()[b];
    block_score_ = uint64_t(idx_->block_max()[b]) * weight_;
  }
  void finish() {  // past the last block: no postings, a zero bound, "+1" of the last doc in range
    doc_ = kEndDoc;
    block_last_ = kEndDoc - 1;
    block_score_ = 0;
    shallow_ = block_ = end_block_;
  }

  const SparseIndex* idx_;
  uint32_t weight_;
  uint64_t block_, end_block_;
  uint32_t df_;
  uint64_t max_score_;
  uint64_t shallow_, first_block_;
  const uint8_t* impacts_ = nullptr;
  uint32_t pos_ = 0, count_ = 0, doc_ = kEndDoc;
  uint32_t block_last_ = 0;   // last doc of the decoded block
  uint64_t block_score_ = 0;  // its block-max bound
  uint32_t docs_[kBlockSize];
};

}  // namespace m3

// BM25's average document length over a whole corpus file, measured before indexing it, for a fixed
// IndexSettings::bm25_avgdl. Every `m3 index --shard I/N` task reads the same whole file, so each
// shard gets the same value, the one the unsharded collection gets: BM25 stays exact across shards.
// Lengths are counted as the collection counts them when it adds a document (bm25_document_length).
// Lines the reader refuses are left out (the indexing pass reports them); a stream that cannot be
// read on (corrupt gzip) ends the count there (the indexing pass stops on it with its error).
#pragma once
#include <cstddef>
#include <string>

#include "encoder/encoder.h"

namespace m3 {

struct CorpusLengths {
  size_t documents = 0;
  double total = 0;  // Σ lengths in BM25 tokens
  double average() const { return documents ? total / double(documents) : 0.0; }
};

CorpusLengths corpus_bm25_lengths(const std::string& corpus_path, const Encoder& encoder, int max_length);

}  // namespace m3

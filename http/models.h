// The models a server may use, by name: `--model NAME=DIR` (repeatable) plus "default" (the embedded
// model unless `--model default=DIR` or `--model DIR` says otherwise). Clients name a model; they never
// pass a directory, so no request can make the server read a path it was not told about.
// Each model's encoder (and its query batcher) is loaded once, on first use, and shared.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "encoder/encoder.h"
#include "http/query_batcher.h"
#include "http/server_options.h"

namespace m3::http {

class Models {
 public:
  explicit Models(const ServerOptions& options);
  std::vector<std::string> names() const;
  bool has(const std::string& name) const { return dirs_.count(name) > 0; }
  const std::string& dir_of(const std::string& name) const;              // ApiError 400 naming the known models
  std::shared_ptr<const Encoder> encoder(const std::string& name);       // by name
  std::shared_ptr<const Encoder> encoder_for_dir(const std::string& dir);  // a collection's recorded model (server-side data)
  QueryBatcher& batcher_for(const Encoder& e);
  size_t total_queue_depth() const;
  // Each loaded batcher's current batch limit (batch_size_tuner.h) and lanes, by model name ("other"
  // for a collection's recorded model that no name points to): for /metrics.
  struct BatcherState {
    std::string model;
    size_t batch_limit, lanes;
  };
  std::vector<BatcherState> batchers() const;

 private:
  ServerOptions options_;
  std::map<std::string, std::string> dirs_;  // name -> directory
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Encoder>> encoders_;  // canonical dir -> encoder
  std::map<const Encoder*, std::unique_ptr<QueryBatcher>> batchers_;
};

}  // namespace m3::http

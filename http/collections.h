// The server's collections: every collection directory under --data, opened lazily and shared;
// one encoder (and one query batcher) per model directory, shared by the collections that use it.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/collection.h"
#include "http/query_batcher.h"
#include "http/server_options.h"

namespace m3::http {

class Collections {
 public:
  explicit Collections(const ServerOptions& options);

  std::vector<std::string> names() const;            // directories under data_dir that hold a MANIFEST
  std::shared_ptr<Collection> get(const std::string& name);  // ApiError 404 if absent
  std::shared_ptr<Collection> create(const std::string& name, const CollectionOptions& options);  // 409 if it exists
  void drop(const std::string& name);                 // 404 if absent
  QueryBatcher& batcher_for(const Collection& c);
  std::shared_ptr<const Encoder> encoder(const std::string& model_dir);  // cached per directory
  size_t total_queue_depth() const;

  static void validate_name(const std::string& name);  // ApiError 400

 private:
  std::string path_of(const std::string& name) const { return options_.data_dir + "/" + name; }
  ServerOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Collection>> open_;
  std::map<std::string, std::shared_ptr<const Encoder>> encoders_;           // model dir -> encoder
  std::map<const Encoder*, std::unique_ptr<QueryBatcher>> batchers_;
};

}  // namespace m3::http

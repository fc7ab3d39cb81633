// The server's collections: every collection directory under --data, opened lazily and shared; their
// encoders come from Models (one per model directory, shared by the collections that use it).
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/collection.h"
#include "http/models.h"
#include "http/server_options.h"

namespace m3::http {

class Collections {
 public:
  Collections(const ServerOptions& options, Models& models);

  std::vector<std::string> names() const;            // directories under data_dir that hold a MANIFEST
  std::vector<std::pair<std::string, std::shared_ptr<Collection>>> open_collections() const;  // opened so far
  std::shared_ptr<Collection> get(const std::string& name);  // ApiError 404 if absent
  std::shared_ptr<Collection> create(const std::string& name, const CollectionOptions& options);  // 409 if it exists; model_dir from Models
  void drop(const std::string& name);                 // 404 if absent

  static void validate_name(const std::string& name);  // ApiError 400

 private:
  std::string path_of(const std::string& name) const { return options_.data_dir + "/" + name; }
  ServerOptions options_;
  Models& models_;
  mutable std::mutex mu_;      // open_
  std::mutex opening_mu_;      // opens, creates and drops, one at a time
  std::map<std::string, std::shared_ptr<Collection>> open_;
};

}  // namespace m3::http

#include "http/collections.h"

#include <filesystem>

#include "http/api_error.h"

namespace m3::http {

namespace fs = std::filesystem;

Collections::Collections(const ServerOptions& options, Models& models) : options_(options), models_(models) {
  if (!fs::is_directory(options_.data_dir)) throw UsageError("--data " + options_.data_dir + ": not a directory");
}

void Collections::validate_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '.')
    throw bad_request("collection name must be 1-64 characters of [A-Za-z0-9_.-], not starting with '.'");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      throw bad_request("collection name '" + name + "' may only contain [A-Za-z0-9_.-]");
}

std::vector<std::string> Collections::names() const {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(options_.data_dir))
    if (e.is_directory() && fs::exists(e.path() / "MANIFEST") && e.path().filename().string()[0] != '.')
      out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Collection>>> Collections::open_collections() const {
  std::lock_guard<std::mutex> l(mu_);
  return {open_.begin(), open_.end()};
}

std::shared_ptr<Collection> Collections::get(const std::string& name) {
  validate_name(name);
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = open_.find(name);
    if (it != open_.end()) return it->second;
  }
  // Opening is slow (checksums, RocksDB): one at a time, and a second caller finds the first's result.
  std::lock_guard<std::mutex> opening(opening_mu_);
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = open_.find(name);
    if (it != open_.end()) return it->second;
  }
  if (!fs::exists(path_of(name) + "/MANIFEST")) throw not_found("no collection '" + name + "'");
  auto [model_dir, fingerprint] = Collection::recorded_model(path_of(name));
  auto enc = models_.encoder_for_dir(model_dir);
  std::shared_ptr<Collection> c = Collection::open(path_of(name), enc);
  std::lock_guard<std::mutex> l(mu_);
  return open_.emplace(name, c).first->second;
}

std::shared_ptr<Collection> Collections::create(const std::string& name, const CollectionOptions& options) {
  validate_name(name);
  std::lock_guard<std::mutex> opening(opening_mu_);
  if (fs::exists(path_of(name))) throw ApiError(409, "conflict", "collection '" + name + "' already exists");
  auto enc = models_.encoder_for_dir(options.model_dir);
  std::shared_ptr<Collection> c = Collection::create(path_of(name), options, enc);
  std::lock_guard<std::mutex> l(mu_);
  return open_.emplace(name, c).first->second;
}

void Collections::drop(const std::string& name) {
  validate_name(name);
  std::lock_guard<std::mutex> opening(opening_mu_);
  std::shared_ptr<Collection> held;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!fs::exists(path_of(name) + "/MANIFEST")) throw not_found("no collection '" + name + "'");
    auto it = open_.find(name);
    if (it != open_.end()) { held = it->second; open_.erase(it); }
  }
  // In-flight searches keep their snapshot (files stay mapped after unlink); new ones get 404.
  const std::string trash = options_.data_dir + "/.deleted-" + name + "-" + std::to_string(std::rand());
  fs::rename(path_of(name), trash);
  held.reset();
  fs::remove_all(trash);
}

}  // namespace m3::http

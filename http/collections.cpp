#include "http/collections.h"

#include <filesystem>

#include "http/api_error.h"

namespace m3::http {

namespace fs = std::filesystem;

Collections::Collections(const ServerOptions& options) : options_(options) {
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

std::shared_ptr<const Encoder> Collections::encoder(const std::string& model_dir) {
  std::lock_guard<std::mutex> l(mu_);
  std::string key = fs::weakly_canonical(model_dir).string();
  auto it = encoders_.find(key);
  if (it != encoders_.end()) return it->second;
  EncoderOptions o;
  o.threads = options_.threads;
  std::shared_ptr<const Encoder> e = Encoder::load(model_dir, o);
  encoders_[key] = e;
  batchers_[e.get()] = std::make_unique<QueryBatcher>(e, options_.batch_window_us, options_.max_batch);
  return e;
}

std::shared_ptr<Collection> Collections::get(const std::string& name) {
  validate_name(name);
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = open_.find(name);
    if (it != open_.end()) return it->second;
  }
  if (!fs::exists(path_of(name) + "/MANIFEST")) throw not_found("no collection '" + name + "'");
  auto [model_dir, fingerprint] = Collection::recorded_model(path_of(name));
  auto enc = encoder(model_dir);
  std::shared_ptr<Collection> c = Collection::open(path_of(name), enc);
  std::lock_guard<std::mutex> l(mu_);
  return open_.emplace(name, c).first->second;
}

std::shared_ptr<Collection> Collections::create(const std::string& name, const CollectionOptions& options) {
  validate_name(name);
  if (fs::exists(path_of(name))) throw ApiError(409, "conflict", "collection '" + name + "' already exists");
  std::string model = options.model_dir.empty() ? (options_.default_model.empty() ? default_model_dir() : options_.default_model)
                                                : options.model_dir;
  auto enc = encoder(model);
  std::shared_ptr<Collection> c = Collection::create(path_of(name), options, enc);
  std::lock_guard<std::mutex> l(mu_);
  return open_.emplace(name, c).first->second;
}

void Collections::drop(const std::string& name) {
  validate_name(name);
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

QueryBatcher& Collections::batcher_for(const Collection& c) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = batchers_.find(&c.encoder());
  if (it == batchers_.end()) throw Error("internal: no batcher for the collection's encoder");
  return *it->second;
}

size_t Collections::total_queue_depth() const {
  std::lock_guard<std::mutex> l(mu_);
  size_t n = 0;
  for (const auto& [e, b] : batchers_) n += b->queue_depth();
  return n;
}

}  // namespace m3::http

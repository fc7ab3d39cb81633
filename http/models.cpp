#include "http/models.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "http/api_error.h"

namespace m3::http {

namespace fs = std::filesystem;

Models::Models(const ServerOptions& options) : options_(options), dirs_(options.models) {
  if (!dirs_.count("default")) dirs_["default"] = default_model_dir();
  for (const auto& [name, dir] : dirs_)
    if (!fs::is_directory(dir)) throw UsageError("--model " + name + "=" + dir + ": not a directory");
}

std::vector<std::string> Models::names() const {
  std::vector<std::string> out;
  for (const auto& [name, dir] : dirs_) out.push_back(name);
  return out;
}

const std::string& Models::dir_of(const std::string& name) const {
  auto it = dirs_.find(name);
  if (it != dirs_.end()) return it->second;
  std::string known;
  for (const auto& [n, d] : dirs_) known += (known.empty() ? "" : ", ") + n;
  throw bad_request("unknown model '" + name + "' (this server has: " + known + ")");
}

std::shared_ptr<const Encoder> Models::encoder(const std::string& name) { return encoder_for_dir(dir_of(name)); }

std::shared_ptr<const Encoder> Models::encoder_for_dir(const std::string& dir) {
  std::lock_guard<std::mutex> l(mu_);
  const std::string key = fs::weakly_canonical(dir).string();
  auto it = encoders_.find(key);
  if (it != encoders_.end()) return it->second;
  EncoderOptions o;
  // Requests already run in parallel on the workers: the encoder gets half the cores by default, so
  // its threads do not fight the searches for them (README "Query batching": measured both ways).
  o.threads = options_.encoder_threads > 0 ? options_.encoder_threads
                                           : int(std::max(1u, std::thread::hardware_concurrency() / 2));
  o.device = parse_device(options_.encoder_device);
  o.precision = parse_precision(options_.encoder_precision);
  std::shared_ptr<const Encoder> e = Encoder::load(dir, o);
  encoders_[key] = e;
  // Lanes (query_batcher.h): by default enough that lanes x encoder threads covers every core, so under
  // load the encoder can use the cores the searches leave idle; one on a GPU, which runs one forward
  // pass at a time anyway.
  const size_t lanes = options_.encoder_lanes > 0 ? size_t(options_.encoder_lanes)
                       : e->device_name() != "cpu"
                           ? 1
                           : std::max<size_t>(1, std::thread::hardware_concurrency() / size_t(std::max(1, o.threads)));
  batchers_[e.get()] = std::make_unique<QueryBatcher>(e, options_.batch_window_us, options_.max_batch, options_.batch_tuning,
                                                       lanes);
  return e;
}

QueryBatcher& Models::batcher_for(const Encoder& e) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = batchers_.find(&e);
  if (it == batchers_.end()) throw Error("internal: no query batcher for the encoder");
  return *it->second;
}

size_t Models::total_queue_depth() const {
  std::lock_guard<std::mutex> l(mu_);
  size_t n = 0;
  for (const auto& [e, b] : batchers_) n += b->queue_depth();
  return n;
}

std::vector<Models::BatcherState> Models::batchers() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<BatcherState> out;
  for (const auto& [dir, e] : encoders_) {
    std::string name = "other";
    for (const auto& [n, d] : dirs_)
      if (fs::weakly_canonical(d).string() == dir) name = n;
    const QueryBatcher& b = *batchers_.at(e.get());
    out.push_back({name, b.batch_limit(), b.lanes()});
  }
  return out;
}

}  // namespace m3::http

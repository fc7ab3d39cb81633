#include "trainer/train_state.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "trainer/torch_compat.h"

namespace m3::trainer {

namespace fs = std::filesystem;

namespace {
std::string file(const std::string& dir, const char* stem, int64_t step) {
  return dir + "/" + stem + "-" + std::to_string(step) + ".pt";
}
}  // namespace

void save_train_state(const std::string& dir, const std::string& stage, M3Model& model, MlmHead* head,
                      torch::optim::Optimizer& optimizer, const LoopPosition& pos, const torch::Device& device) {
  fs::create_directories(dir);
  const int64_t step = pos.step;
  torch::save(model, file(dir, "model", step));
  if (head) torch::save(*head, file(dir, "head", step));
  torch::save(optimizer, file(dir, "optimizer", step));
  std::vector<torch::Tensor> rng{compat::generator_state(torch::kCPU)};
  if (device.is_cuda()) rng.push_back(compat::generator_state(device));
  torch::save(rng, file(dir, "rng", step));

  nlohmann::json j = {{"stage", stage},          {"step", step},
                      {"epoch", pos.epoch},      {"index", pos.index},
                      {"total", pos.plan.total}, {"warmup", pos.plan.warmup},
                      {"distill_from", pos.plan.distill_from}, {"elapsed_s", pos.elapsed_s}};
  const std::string tmp = dir + "/state.json.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << "\n";
    out.flush();
    if (!out) throw Error(tmp + ": write failed");
  }
  fs::rename(tmp, dir + "/state.json");
  // The new checkpoint is complete: drop the files of older steps.
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (entry.path().extension() != ".pt") continue;
    const auto dash = name.rfind('-');
    if (dash == std::string::npos) continue;
    if (name.substr(dash + 1) != std::to_string(step) + ".pt") fs::remove(entry.path());
  }
}

bool load_train_state(const std::string& dir, const std::string& stage, M3Model& model, MlmHead* head,
                      torch::optim::Optimizer& optimizer, LoopPosition& pos, const torch::Device& device) {
  const std::string state = dir + "/state.json";
  if (!fs::exists(state)) return false;
  nlohmann::json j;
  try {
    std::ifstream in(state);
    j = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw Error(state + ": unreadable resume state (" + e.what() + ")");
  }
  if (j.value("stage", "") != stage)
    throw Error(state + ": checkpoint of stage '" + j.value("stage", "") + "', this run is stage '" + stage + "'");
  const int64_t step = j.at("step").get<int64_t>();
  torch::load(model, file(dir, "model", step), device);
  if (head) torch::load(*head, file(dir, "head", step), device);
  torch::load(optimizer, file(dir, "optimizer", step), device);
  std::vector<torch::Tensor> rng;
  torch::load(rng, file(dir, "rng", step));
  if (!rng.empty()) compat::set_generator_state(torch::kCPU, rng[0]);
  if (device.is_cuda() && rng.size() > 1) compat::set_generator_state(device, rng[1]);
  pos.step = step;
  pos.epoch = j.at("epoch").get<uint64_t>();
  pos.index = j.at("index").get<uint64_t>();
  pos.plan.total = j.at("total").get<int64_t>();
  pos.plan.warmup = j.at("warmup").get<int64_t>();
  pos.plan.distill_from = j.at("distill_from").get<int64_t>();
  pos.elapsed_s = j.value("elapsed_s", 0.0);
  return true;
}

}  // namespace m3::trainer

// Data-parallel training over several processes with LibTorch's c10d, started the way torchrun
// starts its workers: every process reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT.
// Rank 0 hosts the rendezvous (a c10d::TCPStore on MASTER_ADDR:MASTER_PORT); the collectives run on
// Gloo for CPU tensors and on NCCL for CUDA tensors where LibTorch was built with it.
//
// Without WORLD_SIZE (or with WORLD_SIZE=1) nothing here talks to anyone: every collective returns
// at once and single-process training is unchanged.
//
// Collectives block; a peer that died or stalls makes them fail after the timeout with an m3::Error
// that names the collective (never a hang), so one dead rank stops the others.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace m3::trainer {

// The torchrun environment of this process, validated.
struct DistEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;           // which of this machine's GPUs (cuda:LOCAL_RANK)
  std::string master_addr;      // rank 0's host: the TCPStore listens there
  int master_port = 0;
  bool distributed() const { return world_size > 1; }
};

// Reads the variables through `getenv` (injectable for tests). WORLD_SIZE unset or 1: a single
// process (the other variables are then ignored). Otherwise RANK, MASTER_ADDR and MASTER_PORT are
// required; every number must be a plain decimal integer in range (WORLD_SIZE 1..1024,
// 0 <= RANK < WORLD_SIZE, 0 <= LOCAL_RANK < 1024, MASTER_PORT 1..65535), else a UsageError naming
// the variable and its value.
using EnvLookup = std::function<const char*(const char*)>;
DistEnv read_dist_env(const EnvLookup& getenv);
DistEnv read_dist_env();  // the process environment

// One process group. Collectives are in place and must be called in the same order on every rank.
class Distributed {
 public:
  Distributed() = default;  // a single process: every collective is a no-op

  // Joins the group of `env` (rank 0 hosts the store; the others wait for it up to `timeout`).
  // device: CUDA tensors use NCCL (when built with it), CPU tensors Gloo.
  static std::shared_ptr<Distributed> connect(const DistEnv& env, const torch::Device& device,
                                              std::chrono::milliseconds timeout);

  int rank() const { return rank_; }
  int world_size() const { return world_; }
  bool active() const { return world_ > 1; }
  bool is_main() const { return rank_ == 0; }
  const std::string& backend() const { return backend_; }

  void all_reduce_sum(std::vector<torch::Tensor>& tensors);
  void all_reduce_max(torch::Tensor& tensor);
  void broadcast(std::vector<torch::Tensor>& tensors, int root = 0);
  // Every rank's `local` (same shape and dtype on all ranks), in rank order.
  std::vector<torch::Tensor> all_gather(const torch::Tensor& local);
  void barrier();

  // Convenience on scalars: the element-wise sum / the maximum over ranks.
  std::vector<double> sum(std::vector<double> values);
  double max(double v);

 private:
  struct Group;
  std::shared_ptr<Group> group_;
  int rank_ = 0, world_ = 1;
  torch::Device device_ = torch::kCPU;  // where the scalar helpers' tensors live (NCCL: the GPU)
  std::string backend_ = "none";
};

}  // namespace m3::trainer

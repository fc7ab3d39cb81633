#include "trainer/distributed.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>

#include <cstdlib>
#include <limits>

#include "common/error.h"

#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace m3::trainer {

namespace {

// LibTorch 2.x split ProcessGroup into a front and per-device Backends; the collectives are the same.
#if TORCH_VERSION_MAJOR >= 2
using GroupBase = c10d::Backend;
#else
using GroupBase = c10d::ProcessGroup;
#endif

// A plain decimal integer in [lo, hi], else a UsageError naming the variable.
int env_int(const EnvLookup& getenv, const char* name, long lo, long hi, bool required, int fallback) {
  const char* raw = getenv(name);
  if (raw == nullptr || *raw == '\0') {
    if (required) throw UsageError(std::string(name) + " is not set (torchrun-style launch needs RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT)");
    return fallback;
  }
  const std::string text(raw);
  bool digits = !text.empty() && text.size() <= 9;
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  if (!digits) throw UsageError(std::string(name) + "='" + text + "' is not a non-negative integer");
  const long v = std::stol(text);
  if (v < lo || v > hi)
    throw UsageError(std::string(name) + "=" + text + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(v);
}

// c10 errors carry a stack trace after their first line; the message is the first line.
std::string first_line(const char* what) {
  std::string s(what);
  s = s.substr(0, s.find('\n'));
  return s.size() > 300 ? s.substr(0, 300) + "..." : s;
}

bool loopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1"; }

}  // namespace

DistEnv read_dist_env(const EnvLookup& getenv) {
  DistEnv env;
  env.world_size = env_int(getenv, "WORLD_SIZE", 1, 1024, /*required=*/false, 1);
  if (env.world_size == 1) return env;
  env.rank = env_int(getenv, "RANK", 0, 1023, true, 0);
  if (env.rank >= env.world_size)
    throw UsageError("RANK=" + std::to_string(env.rank) + " must be below WORLD_SIZE=" + std::to_string(env.world_size));
  env.local_rank = env_int(getenv, "LOCAL_RANK", 0, 1023, false, 0);
  const char* addr = getenv("MASTER_ADDR");
  if (addr == nullptr || *addr == '\0') throw UsageError("MASTER_ADDR is not set (rank 0's host name or address)");
  env.master_addr = addr;
  env.master_port = env_int(getenv, "MASTER_PORT", 1, 65535, true, 0);
  return env;
}

DistEnv read_dist_env() {
  return read_dist_env([](const char* name) { return std::getenv(name); });
}

struct Distributed::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<GroupBase> pg;
};

std::shared_ptr<Distributed> Distributed::connect(const DistEnv& env, const torch::Device& device,
                                                  std::chrono::milliseconds timeout) {
  auto d = std::make_shared<Distributed>();
  if (!env.distributed()) return d;
  d->rank_ = env.rank;
  d->world_ = env.world_size;
  d->device_ = device;
  d->group_ = std::make_shared<Group>();
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  try {
    // Under torchrun the agent already hosts the store on MASTER_PORT: every rank is a client, keys
    // under /worker/attempt_<restart count> (what torch.distributed's env:// rendezvous does).
    const char* agent_store = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
    const bool use_agent_store = agent_store && std::string(agent_store) == "True";
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(env.master_port);
    so.isServer = env.rank == 0 && !use_agent_store;
    so.numWorkers = static_cast<size_t>(env.world_size);
    so.waitWorkers = false;  // the group below waits for every rank (once, within the timeout)
    so.timeout = timeout;
    c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    if (use_agent_store) {
      const char* attempt = std::getenv("TORCHELASTIC_RESTART_COUNT");
      store = c10::make_intrusive<c10d::PrefixStore>("/worker/attempt_" + std::string(attempt ? attempt : "0"), store);
    }
    d->group_->store = store;
  } catch (const std::exception& e) {
    throw Error("distributed: rank " + std::to_string(env.rank) + " could not join the rendezvous at " + where +
                " within " + std::to_string(timeout.count() / 1000) + " s (" + first_line(e.what()) + ")");
  }
  try {
    if (device.is_cuda()) {
#ifdef USE_C10D_NCCL
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = timeout;
      d->group_->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(d->group_->store, env.rank, env.world_size, opts);
      d->backend_ = "nccl";
#else
      throw UsageError("distributed training on CUDA needs a LibTorch built with NCCL (this build has no USE_C10D_NCCL)");
#endif
    } else {
#ifdef USE_C10D_GLOO
      auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
      // Loopback runs bind to 127.0.0.1; across machines GLOO_SOCKET_IFNAME picks the interface, else
      // the address this host's name resolves to (what torch.distributed does).
      if (loopback(env.master_addr)) {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      } else {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      d->group_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(d->group_->store, env.rank, env.world_size, opts);
      d->backend_ = "gloo";
#else
      throw UsageError("distributed training on the CPU needs Gloo: this build found no gloo headers (apt-get install libgloo-dev)");
#endif
    }
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    throw Error("distributed: rank " + std::to_string(env.rank) + " could not connect to the other " +
                std::to_string(env.world_size - 1) + " rank(s) via " + where + " (" + first_line(e.what()) + ")");
  }
  return d;
}

namespace {
// Waits for one collective; a peer that died or timed out becomes an m3::Error naming the collective.
void finish(const c10::intrusive_ptr<c10d::Work>& work, const char* what, int rank) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    throw Error(std::string("distributed: ") + what + " failed on rank " + std::to_string(rank) +
                " (another rank died, or stalled past --dist-timeout): " + first_line(e.what()));
  }
}
}  // namespace

void Distributed::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
  if (!active() || tensors.empty()) return;
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::SUM;
  finish(group_->pg->allreduce(tensors, o), "all_reduce", rank_);
}

void Distributed::all_reduce_max(torch::Tensor& tensor) {
  if (!active()) return;
  std::vector<torch::Tensor> t{tensor};
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::MAX;
  finish(group_->pg->allreduce(t, o), "all_reduce", rank_);
}

void Distributed::broadcast(std::vector<torch::Tensor>& tensors, int root) {
  if (!active() || tensors.empty()) return;
  c10d::BroadcastOptions o;
  o.rootRank = root;
  for (auto& t : tensors) {  // Gloo broadcasts one tensor per call
    std::vector<torch::Tensor> one{t};
    finish(group_->pg->broadcast(one, o), "broadcast", rank_);
  }
}

std::vector<torch::Tensor> Distributed::all_gather(const torch::Tensor& local) {
  if (!active()) return {local};
  std::vector<torch::Tensor> in{local.contiguous()};
  std::vector<std::vector<torch::Tensor>> out(1);
  for (int r = 0; r < world_; ++r) out[0].push_back(torch::empty_like(in[0]));
  finish(group_->pg->allgather(out, in), "all_gather", rank_);
  return out[0];
}

void Distributed::barrier() {
  if (!active()) return;
  finish(group_->pg->barrier(), "barrier", rank_);
}

std::vector<double> Distributed::sum(std::vector<double> values) {
  if (!active() || values.empty()) return values;
  std::vector<torch::Tensor> t{torch::tensor(values, torch::kDouble).to(device_)};
  all_reduce_sum(t);
  auto host = t[0].cpu();
  for (size_t i = 0; i < values.size(); ++i) values[i] = host[static_cast<int64_t>(i)].item<double>();
  return values;
}

double Distributed::max(double v) {
  if (!active()) return v;
  auto t = torch::full({1}, v, torch::TensorOptions().dtype(torch::kDouble).device(device_));
  all_reduce_max(t);
  return t.item<double>();
}

}  // namespace m3::trainer

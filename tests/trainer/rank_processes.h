// Test helper: runs W processes as the ranks of one data-parallel group on loopback, the way torchrun
// would start them (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1, MASTER_PORT), each with its
// stdout and stderr in a file. The environment is built before fork() and handed to execve(), so the
// child runs nothing of the (multi-threaded) parent.
#pragma once
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace m3::test {

// A port nobody listens on right now (the kernel's choice for an ephemeral bind).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class RankProcesses {
 public:
  // env: variables for every rank (override the torchrun ones to test bad values; a value of
  // "<unset>" removes the variable). ranks: which ranks to start (default all).
  RankProcesses(const std::vector<std::string>& argv, int world, const std::string& log_prefix,
                std::map<std::string, std::string> env = {}, std::vector<int> ranks = {}) {
    if (ranks.empty())
      for (int r = 0; r < world; ++r) ranks.push_back(r);
    const int port = free_port();
    for (int r : ranks) {
      std::map<std::string, std::string> vars = {{"RANK", std::to_string(r)},
                                                 {"LOCAL_RANK", std::to_string(r)},
                                                 {"WORLD_SIZE", std::to_string(world)},
                                                 {"MASTER_ADDR", "127.0.0.1"},
                                                 {"MASTER_PORT", std::to_string(port)}};
      for (auto& [k, v] : env) vars[k] = v;
      std::vector<std::string> envs;
      for (char** e = environ; *e; ++e) {
        const std::string kv(*e);
        if (!vars.count(kv.substr(0, kv.find('=')))) envs.push_back(kv);
      }
      for (auto& [k, v] : vars)
        if (v != "<unset>") envs.push_back(k + "=" + v);
      logs_.push_back(log_prefix + ".rank" + std::to_string(r) + ".log");
      pids_.push_back(spawn(argv, envs, logs_.back()));
      status_.push_back(-1);
    }
  }
  ~RankProcesses() {
    for (size_t i = 0; i < pids_.size(); ++i)
      if (status_[i] == -1) {
        ::kill(pids_[i], SIGKILL);
        ::waitpid(pids_[i], nullptr, 0);
      }
  }

  // Waits for every process up to `timeout_s`; those still running then are killed. True if all ended.
  bool wait(double timeout_s) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (true) {
      bool running = false;
      for (size_t i = 0; i < pids_.size(); ++i) running |= !reap(i);
      if (!running) return true;
      if (std::chrono::steady_clock::now() > end) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    for (size_t i = 0; i < pids_.size(); ++i)
      if (status_[i] == -1) {
        ::kill(pids_[i], SIGKILL);
        int st = 0;
        ::waitpid(pids_[i], &st, 0);
        status_[i] = 1000;  // marks "killed by the test's timeout"
      }
    return false;
  }

  // Waits until process i's output contains `text` (true) or it exits / time runs out (false).
  bool wait_for_output(size_t i, const std::string& text, double timeout_s) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < end) {
      if (output(i).find(text) != std::string::npos) return true;
      if (reap(i)) return output(i).find(text) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void kill(size_t i) {
    ::kill(pids_[i], SIGKILL);
    int st = 0;
    ::waitpid(pids_[i], &st, 0);
    status_[i] = 128 + SIGKILL;
  }

  // Exit code of process i (128 + signal when killed by one), after wait().
  int exit_code(size_t i) const { return status_[i]; }
  std::string output(size_t i) const {
    std::ifstream in(logs_[i]);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string all_output() const {
    std::string s;
    for (size_t i = 0; i < logs_.size(); ++i) s += "--- process " + std::to_string(i) + " ---\n" + output(i);
    return s;
  }

 private:
  static pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& envs, const std::string& log) {
    std::vector<char*> a, e;
    for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    for (auto& s : envs) e.push_back(const_cast<char*>(s.c_str()));
    e.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execve(a[0], a.data(), e.data());
      _exit(127);
    }
    return pid;
  }

  bool reap(size_t i) {
    if (status_[i] != -1) return true;
    int st = 0;
    if (::waitpid(pids_[i], &st, WNOHANG) != pids_[i]) return false;
    status_[i] = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return true;
  }

  std::vector<pid_t> pids_;
  std::vector<int> status_;
  std::vector<std::string> logs_;
};

}  // namespace m3::test

// FaultInjectionEnv: an Env (index/env.h) over the real file system that (1) fails the Nth call from
// now with EIO or ENOSPC, doing nothing, and (2) on drop_unsynced() forgets what a power cut would:
// bytes appended to a file since its last sync, and files created, renamed or directories made since
// their parent directory was last synced (a rename over an existing file brings the old file back).
// Removals are taken as durable at once (a removal that a crash undid would only bring back garbage,
// which IndexStore::open deletes). It models durability itself, so syncs never reach the disk (the
// tests run in seconds instead of minutes of fsync). Single-threaded use: one writer, as in the tests.
#pragma once
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "index/env.h"

namespace m3::test {

class FaultInjectionEnv : public Env {
 public:
  explicit FaultInjectionEnv(Env* base = Env::posix()) : base_(base) {}

  void fail_call(uint64_t n, int err) { fail_at_ = calls_ + n, err_ = err; }  // n >= 1; 0 never
  uint64_t calls() const { return calls_; }
  bool failed() const { return failed_; }

  void drop_unsynced() {
    namespace fs = std::filesystem;
    for (const auto& [path, f] : files_)
      if (f.size != f.synced && fs::exists(path)) fs::resize_file(path, f.synced);
    for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
      std::error_code ec;
      switch (it->kind) {
        case Op::Create: fs::remove(it->path, ec); break;
        case Op::MakeDir: fs::remove_all(it->path, ec); break;
        case Op::Rename:
          fs::rename(it->path, it->from, ec);
          if (it->had_old) write_bytes(it->path, it->old_bytes);
          break;
      }
    }
    pending_.clear();
    files_.clear();
  }

  std::unique_ptr<WritableFile> new_writable_file(const std::string& path) override {
    step(path);
    auto inner = base_->new_writable_file(path);
    files_[path] = {0, 0};
    pending_.push_back({Op::Create, path, "", false, ""});
    return std::make_unique<File>(this, path, std::move(inner));
  }
  void rename(const std::string& from, const std::string& to) override {
    step(to);
    Pending p{Op::Rename, to, from, std::filesystem::exists(to), ""};
    if (p.had_old) p.old_bytes = read_bytes(to);
    base_->rename(from, to);
    auto f = files_.find(from);
    if (f != files_.end()) files_[to] = f->second, files_.erase(f);
    pending_.push_back(std::move(p));
  }
  void sync_dir(const std::string& dir) override {
    step(dir);
    const std::string canon = std::filesystem::weakly_canonical(dir).string();
    std::vector<Pending> kept;
    for (auto& p : pending_)
      if (std::filesystem::weakly_canonical(std::filesystem::path(p.path).parent_path()).string() != canon)
        kept.push_back(std::move(p));
    pending_ = std::move(kept);
  }
  void make_dir(const std::string& path) override {
    step(path);
    const bool existed = std::filesystem::exists(path);
    base_->make_dir(path);
    if (!existed) pending_.push_back({Op::MakeDir, path, "", false, ""});
  }
  bool remove_tree(const std::string& path) override {
    try {
      step(path);
    } catch (const IoError&) {
      return false;
    }
    return base_->remove_tree(path);
  }

 private:
  struct FileState {
    uint64_t size, synced;
  };
  enum class Op { Create, MakeDir, Rename };
  struct Pending {
    Op kind;
    std::string path, from;  // path: the entry made (rename: the target)
    bool had_old;
    std::string old_bytes;
  };
  class File : public WritableFile {
   public:
    File(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> inner)
        : env_(env), path_(std::move(path)), inner_(std::move(inner)) {}
    void append(const void* data, size_t n) override {
      env_->step(path_);
      inner_->append(data, n);
      env_->files_[path_].size += n;
    }
    void sync() override {
      env_->step(path_);
      auto& f = env_->files_[path_];
      f.synced = f.size;
    }
    void close() override {
      env_->step(path_);
      inner_->close();
    }

   private:
    FaultInjectionEnv* env_;
    std::string path_;
    std::unique_ptr<WritableFile> inner_;
  };

  void step(const std::string& path) {
    if (++calls_ != fail_at_) return;
    failed_ = true;
    throw IoError(path + ": injected failure: " + std::strerror(err_));
  }
  static std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }

  Env* base_;
  uint64_t calls_ = 0, fail_at_ = 0;
  int err_ = EIO;
  bool failed_ = false;
  std::map<std::string, FileState> files_;
  std::vector<Pending> pending_;
};

// Installs an Env for a scope.
class ScopedEnv {
 public:
  explicit ScopedEnv(Env* env) : prev_(Env::install(env)) {}
  ~ScopedEnv() { Env::install(prev_ == Env::posix() ? nullptr : prev_); }

 private:
  Env* prev_;
};

}  // namespace m3::test

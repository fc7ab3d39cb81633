#include "index/env.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"

namespace m3 {
namespace {

std::string errno_text() { return std::strerror(errno); }

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  void append(const void* data, size_t n) override {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw IoError(path_ + ": write failed: " + errno_text());
      }
      p += w;
      n -= size_t(w);
    }
  }
  void sync() override {
    if (::fsync(fd_) != 0) throw IoError(path_ + ": fsync failed: " + errno_text());
  }
  void close() override {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw IoError(path_ + ": close failed: " + errno_text());
  }

 private:
  std::string path_;
  int fd_;
};

class PosixEnv : public Env {
 public:
  std::unique_ptr<WritableFile> new_writable_file(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw IoError(path + ": cannot create: " + errno_text());
    return std::make_unique<PosixWritableFile>(path, fd);
  }
  void rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) throw IoError(to + ": rename failed: " + errno_text());
  }
  void sync_dir(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw IoError(dir + ": cannot open directory: " + errno_text());
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) throw IoError(dir + ": fsync failed: " + errno_text());
  }
  void make_dir(const std::string& path) override {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) throw IoError(path + ": cannot create directory: " + ec.message());
  }
  bool remove_tree(const std::string& path) override {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    return !ec;
  }
};

std::atomic<Env*> g_current{nullptr};

}  // namespace

Env* Env::posix() {
  static PosixEnv env;
  return &env;
}

Env* Env::current() {
  Env* e = g_current.load(std::memory_order_acquire);
  return e ? e : posix();
}

Env* Env::install(Env* env) {
  Env* prev = g_current.exchange(env, std::memory_order_acq_rel);
  return prev ? prev : posix();
}

}  // namespace m3

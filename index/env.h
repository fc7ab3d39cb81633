// Env: the one seam between a collection's writes and the file system (after LevelDB's Env). Every
// call that creates, appends to, syncs, renames or removes a file of index/ goes through Env::current(),
// so a test can install a FaultInjectionEnv (tests/index/fault_injection_env.h) that fails any one of
// those calls with EIO or ENOSPC, or forgets everything that was never synced, as a power cut would.
// Reads go through mmap (file_io.h: MappedFile) and are not part of the seam: faults there are what
// the corruption tests cover.
#pragma once
#include <cstddef>
#include <memory>
#include <string>

namespace m3 {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual void append(const void* data, size_t n) = 0;  // IoError on failure
  virtual void sync() = 0;                               // data durable once this returns
  virtual void close() = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  // Creates or truncates `path`. IoError naming the path on failure.
  virtual std::unique_ptr<WritableFile> new_writable_file(const std::string& path) = 0;
  virtual void rename(const std::string& from, const std::string& to) = 0;
  virtual void sync_dir(const std::string& dir) = 0;  // makes the directory's entries durable
  virtual void make_dir(const std::string& path) = 0;  // with parents; fine if it exists
  // Best effort (garbage after a merge or a crash): never throws; false if something stayed.
  virtual bool remove_tree(const std::string& path) = 0;

  static Env* posix();    // the real file system
  static Env* current();  // what index/ uses now: posix() unless a test installed another
  // Installs `env` (nullptr: posix) for the whole process and returns the previous one. Tests only:
  // swap while no collection is being written.
  static Env* install(Env* env);
};

}  // namespace m3

#include "index/rocksdb_env.h"

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <memory>
#include <string>

#include "common/error.h"
#include "index/env.h"

namespace m3 {
namespace {

// Runs an Env call; an m3 error becomes the IOStatus RocksDB expects (it reports it to DocStore,
// which throws it as an IoError naming the store).
template <class F>
rocksdb::IOStatus via_env(F&& f) {
  try {
    f();
    return rocksdb::IOStatus::OK();
  } catch (const std::exception& e) {
    return rocksdb::IOStatus::IOError(e.what());
  }
}

class EnvWritableFile : public rocksdb::FSWritableFile {
 public:
  explicit EnvWritableFile(std::unique_ptr<WritableFile> file) : file_(std::move(file)) {}
  ~EnvWritableFile() override {
    if (!closed_) (void)Close(rocksdb::IOOptions(), nullptr);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions&, rocksdb::IODebugContext*) override {
    return via_env([&] {
      file_->append(data.data(), data.size());
      size_ += data.size();
    });
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o, const rocksdb::DataVerificationInfo&,
                           rocksdb::IODebugContext* dbg) override {
    return Append(data, o, dbg);
  }
  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions&, rocksdb::IODebugContext*) override {
    // Only direct I/O and preallocation truncate, and this file uses neither: its size is exact.
    return size == size_ ? rocksdb::IOStatus::OK() : rocksdb::IOStatus::NotSupported("Truncate");
  }
  rocksdb::IOStatus Flush(const rocksdb::IOOptions&, rocksdb::IODebugContext*) override {
    return rocksdb::IOStatus::OK();  // appends go straight to the file (Env's WritableFile keeps no buffer)
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions&, rocksdb::IODebugContext*) override {
    return via_env([&] { file_->sync(); });
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions&, rocksdb::IODebugContext*) override {
    closed_ = true;
    return via_env([&] { file_->close(); });
  }
  uint64_t GetFileSize(const rocksdb::IOOptions&, rocksdb::IODebugContext*) override { return size_; }

 private:
  std::unique_ptr<WritableFile> file_;
  uint64_t size_ = 0;
  bool closed_ = false;
};

// A directory whose Fsync is Env::sync_dir (the real directory object stays for anything else).
class EnvDirectory : public rocksdb::FSDirectory {
 public:
  EnvDirectory(std::string path, std::unique_ptr<rocksdb::FSDirectory> real) : path_(std::move(path)), real_(std::move(real)) {}
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions&, rocksdb::IODebugContext*) override {
    return via_env([&] { Env::current()->sync_dir(path_); });
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override { return real_->Close(o, dbg); }
  size_t GetUniqueId(char* id, size_t max_size) const override { return real_->GetUniqueId(id, max_size); }

 private:
  std::string path_;
  std::unique_ptr<rocksdb::FSDirectory> real_;
};

class EnvSeamFileSystem : public rocksdb::FileSystemWrapper {
 public:
  EnvSeamFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  static const char* kClassName() { return "M3EnvSeamFileSystem"; }
  const char* Name() const override { return kClassName(); }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions&, std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext*) override {
    return via_env([&] { *r = std::make_unique<EnvWritableFile>(Env::current()->new_writable_file(f)); });
  }
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target, const rocksdb::IOOptions&,
                               rocksdb::IODebugContext*) override {
    return via_env([&] { Env::current()->rename(src, target); });
  }
  rocksdb::IOStatus CreateDirIfMissing(const std::string& d, const rocksdb::IOOptions&, rocksdb::IODebugContext*) override {
    return via_env([&] { Env::current()->make_dir(d); });
  }
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& o, std::unique_ptr<rocksdb::FSDirectory>* r,
                                 rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSDirectory> real;
    rocksdb::IOStatus s = target()->NewDirectory(name, o, &real, dbg);
    if (s.ok()) *r = std::make_unique<EnvDirectory>(name, std::move(real));
    return s;
  }
};

}  // namespace

rocksdb::Env* rocksdb_env_over_env_seam() {
  static const std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(std::make_shared<EnvSeamFileSystem>());
  return env.get();
}

}  // namespace m3

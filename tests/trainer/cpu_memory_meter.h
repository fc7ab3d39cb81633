// Peak CPU tensor memory, for measuring what activation checkpointing and sub-batches save.
// Installs (once, for the whole test program) a CPU allocator that counts the bytes currently held
// by tensors; reset_peak() starts a new measurement. Blocks come from c10::alloc_cpu and the block
// is its own context, as LibTorch's raw_allocate() requires.
#pragma once
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace m3::trainer::testing {

class CpuMemoryMeter final : public c10::Allocator {
 public:
  static CpuMemoryMeter& install() {
    static CpuMemoryMeter* meter = [] {
      auto* m = new CpuMemoryMeter();
      c10::SetCPUAllocator(m, /*priority=*/100);
      return m;
    }();
    return *meter;
  }
  void reset_peak() {
    std::lock_guard<std::mutex> lock(mutex_);
    peak_ = base_ = current_;
  }
  // The highest number of bytes held since reset_peak(), above the level held at that time.
  int64_t peak_bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return peak_ - base_;
  }

  c10::DataPtr allocate(size_t n) const override {
    void* p = c10::alloc_cpu(n);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sizes_[p] = static_cast<int64_t>(n);
      current_ += static_cast<int64_t>(n);
      peak_ = std::max(peak_, current_);
    }
    return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }

 private:
  static void release(void* p) {
    auto& m = install();
    {
      std::lock_guard<std::mutex> lock(m.mutex_);
      auto it = m.sizes_.find(p);
      if (it != m.sizes_.end()) {
        m.current_ -= it->second;
        m.sizes_.erase(it);
      }
    }
    c10::free_cpu(p);
  }

  mutable std::mutex mutex_;
  mutable std::unordered_map<void*, int64_t> sizes_;
  mutable int64_t current_ = 0, peak_ = 0;
  int64_t base_ = 0;
};

}  // namespace m3::trainer::testing

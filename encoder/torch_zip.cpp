#include "encoder/torch_zip.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <variant>

#include "common/error.h"

namespace m3 {

namespace {

// ---------------------------------------------------------------- ZIP (STORED entries only)
struct ZipEntry { uint64_t data_offset, size; };

class ZipFile {
 public:
  explicit ZipFile(const std::string& path) : path_(path), in_(path, std::ios::binary | std::ios::ate) {
    if (!in_) throw Error(path + ": cannot open");
    size_ = static_cast<uint64_t>(in_.tellg());
    read_central_directory();
  }
  const std::map<std::string, ZipEntry>& entries() const { return entries_; }
  std::vector<char> read(const std::string& name) {
    auto it = entries_.find(name);
    if (it == entries_.end()) throw Error(path_ + ": archive lacks entry '" + name + "'");
    return read_at(it->second.data_offset, it->second.size);
  }

 private:
  std::vector<char> read_at(uint64_t off, uint64_t n) {
    if (off > size_ || n > size_ - off) throw Error(path_ + ": truncated archive (entry past end of file)");
    std::vector<char> buf(n);
    in_.seekg(static_cast<std::streamoff>(off));
    in_.read(buf.data(), static_cast<std::streamsize>(n));
    if (!in_) throw Error(path_ + ": read failed");
    return buf;
  }
  static uint64_t le(const char* p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
  }
  void read_central_directory() {
    if (size_ < 22) throw Error(path_ + ": not a zip archive (too short)");
    const uint64_t tail = std::min<uint64_t>(size_, 65536 + 22);
    auto buf = read_at(size_ - tail, tail);
    int64_t eocd = -1;
    for (int64_t i = static_cast<int64_t>(tail) - 22; i >= 0; --i)
      if (le(&buf[i], 4) == 0x06054b50) { eocd = i; break; }
    if (eocd < 0) throw Error(path_ + ": not a torch zip archive (no end-of-central-directory record; legacy pre-1.6 format is not supported)");
    uint64_t count = le(&buf[eocd + 10], 2), cd_size = le(&buf[eocd + 12], 4), cd_off = le(&buf[eocd + 16], 4);
    if (count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_off == 0xFFFFFFFF) {  // zip64
      if (eocd < 20 || le(&buf[eocd - 20], 4) != 0x07064b50) throw Error(path_ + ": zip64 locator missing");
      const uint64_t z64 = le(&buf[eocd - 20 + 8], 8);
      auto rec = read_at(z64, 56);
      if (le(rec.data(), 4) != 0x06064b50) throw Error(path_ + ": zip64 end record missing");
      count = le(&rec[32], 8);
      cd_size = le(&rec[40], 8);
      cd_off = le(&rec[48], 8);
    }
    auto cd = read_at(cd_off, cd_size);
    size_t p = 0;
    for (uint64_t k = 0; k < count; ++k) {
      if (p + 46 > cd.size() || le(&cd[p], 4) != 0x02014b50) throw Error(path_ + ": corrupt central directory");
      const uint64_t method = le(&cd[p + 10], 2);
      uint64_t csize = le(&cd[p + 20], 4), usize = le(&cd[p + 24], 4);
      const uint64_t nlen = le(&cd[p + 28], 2), xlen = le(&cd[p + 30], 2), clen = le(&cd[p + 32], 2);
      uint64_t local = le(&cd[p + 42], 4);
      if (p + 46 + nlen + xlen > cd.size()) throw Error(path_ + ": corrupt central directory");
      std::string name(&cd[p + 46], nlen);
      // zip64 extended information: the 0xFFFFFFFF fields, in order usize, csize, local offset.
      const size_t extra_end = p + 46 + nlen + xlen;
      for (size_t x = p + 46 + nlen; x + 4 <= extra_end;) {
        const uint64_t id = le(&cd[x], 2), len = le(&cd[x + 2], 2);
        size_t q = x + 4;
        const size_t field_end = std::min<size_t>(q + len, extra_end);  // each 8-byte read stays inside the field
        if (id == 1) {
          auto next = [&]() {
            if (q + 8 > field_end) throw Error(path_ + ": corrupt zip64 extra field for '" + name + "'");
            const uint64_t v = le(&cd[q], 8);
            q += 8;
            return v;
          };
          if (usize == 0xFFFFFFFF) usize = next();
          if (csize == 0xFFFFFFFF) csize = next();
          if (local == 0xFFFFFFFF) local = next();
        }
        x += 4 + len;
      }
      if (method != 0) throw Error(path_ + ": entry '" + name + "' is compressed; torch archives store entries uncompressed");
      auto lh = read_at(local, 30);
      if (le(lh.data(), 4) != 0x04034b50) throw Error(path_ + ": corrupt local header for '" + name + "'");
      const uint64_t data = local + 30 + le(&lh[26], 2) + le(&lh[28], 2);
      if (data > size_ || usize > size_ - data) throw Error(path_ + ": entry '" + name + "' runs past the end of the file (truncated?)");
      entries_[name] = {data, usize};
      p += 46 + nlen + xlen + clen;
    }
  }
  std::string path_;
  std::ifstream in_;
  uint64_t size_ = 0;
  std::map<std::string, ZipEntry> entries_;
};

// ---------------------------------------------------------------- restricted unpickler
struct Value;
// Values are owned by the Unpickler's arena, not by each other: a pickle can make a list hold itself
// (memo + APPEND), which leaked as a shared_ptr cycle (tests/fuzz/fuzz_torch_zip.cpp).
using ValuePtr = Value*;
struct Global { std::string module, name; };
struct StorageRef { DType dtype; std::string key; int64_t numel; };
struct TensorRef { StorageRef storage; int64_t offset; std::vector<int64_t> size, stride; };
struct Mark {};
struct None {};
using Tuple = std::vector<ValuePtr>;
using Dict = std::vector<std::pair<ValuePtr, ValuePtr>>;
struct Value {
  std::variant<None, bool, int64_t, double, std::string, Tuple, Dict, Global, StorageRef, TensorRef, Mark> v;
  bool is_list = false;  // a Tuple that came from EMPTY_LIST
};

class Unpickler {
 public:
  Unpickler(const std::vector<char>& data, std::string origin) : d_(data), origin_(std::move(origin)) {}
  // The result and everything it refers to live as long as the Unpickler.

  ValuePtr run() {
    while (true) {
      const uint8_t op = u8();
      switch (op) {
        case 0x80: u8(); break;                                      // PROTO
        case 0x95: pos_ += 8; break;                                 // FRAME
        case 'c': {                                                  // GLOBAL
          std::string mod = line(), name = line();
          push(make(Global{mod, name}));
          break;
        }
        case 0x93: {                                                 // STACK_GLOBAL
          auto name = pop(), mod = pop();
          push(make(Global{str(mod), str(name)}));
          break;
        }
        case 'q': memo_[u8()] = top(); break;                        // BINPUT
        case 'r': memo_[u32()] = top(); break;                       // LONG_BINPUT
        case 0x94: memo_[memo_.size()] = top(); break;               // MEMOIZE
        case 'h': push(memo_at(u8())); break;                        // BINGET
        case 'j': push(memo_at(u32())); break;                       // LONG_BINGET
        case '(': push(make(Mark{})); break;                         // MARK
        case ')': push(make(Tuple{})); break;                        // EMPTY_TUPLE
        case ']': { auto l = make(Tuple{}); l->is_list = true; push(l); break; }
        case 't': push(make(pop_to_mark())); break;                  // TUPLE
        case 0x85: { auto a = pop(); push(make(Tuple{a})); break; }
        case 0x86: { auto b = pop(), a = pop(); push(make(Tuple{a, b})); break; }
        case 0x87: { auto c = pop(), b = pop(), a = pop(); push(make(Tuple{a, b, c})); break; }
        case 'a': { auto v = pop(); as<Tuple>(top(), "APPEND to a non-list").push_back(v); break; }
        case 'e': { auto items = pop_to_mark(); auto& l = as<Tuple>(top(), "APPENDS to a non-list"); l.insert(l.end(), items.begin(), items.end()); break; }
        case 'X': { uint32_t n = u32(); push(make(bytes(n))); break; }                           // BINUNICODE
        case 0x8c: { uint32_t n = u8(); push(make(bytes(n))); break; }                           // SHORT_BINUNICODE
        case 'J': push(make(static_cast<int64_t>(static_cast<int32_t>(u32())))); break;         // BININT
        case 'K': push(make(static_cast<int64_t>(u8()))); break;                                // BININT1
        case 'M': { int64_t lo = u8(); int64_t hi = u8(); push(make(lo | (hi << 8))); break; }  // BININT2
        case 0x8a: {                                                                            // LONG1
          uint32_t n = u8();
          if (n > 8) fail("integer too large");
          int64_t v = 0;
          for (uint32_t i = 0; i < n; ++i) v |= static_cast<int64_t>(u8()) << (8 * i);
          if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v -= (int64_t{1} << (8 * n));
          push(make(v));
          break;
        }
        case 'G': {                                                  // BINFLOAT (big-endian)
          uint64_t b = 0;
          for (int i = 0; i < 8; ++i) b = (b << 8) | u8();
          double dv; std::memcpy(&dv, &b, 8); push(make(dv));
          break;
        }
        case 0x88: push(make(true)); break;
        case 0x89: push(make(false)); break;
        case 'N': push(make(None{})); break;
        case '}': push(make(Dict{})); break;                         // EMPTY_DICT
        case 's': { auto v = pop(), k = pop(); as<Dict>(top(), "SETITEM on a non-dict").push_back({k, v}); break; }
        case 'u': {
          auto items = pop_to_mark();
          auto& dct = as<Dict>(top(), "SETITEMS on a non-dict");
          for (size_t i = 0; i + 1 < items.size(); i += 2) dct.push_back({items[i], items[i + 1]});
          break;
        }
        case 'Q': push(persistent_load(pop())); break;               // BINPERSID
        case 'R': { auto args = pop(), fn = pop(); push(reduce(fn, args)); break; }
        case 'b': pop(); break;                                      // BUILD: state (_metadata) ignored
        case '.': return pop();                                      // STOP
        default: fail("unsupported pickle opcode 0x" + hex(op));
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& why) const { throw Error(origin_ + ": " + why + " at byte " + std::to_string(pos_)); }
  static std::string hex(uint8_t v) { const char* h = "0123456789abcdef"; return {h[v >> 4], h[v & 15]}; }
  uint8_t u8() { if (pos_ >= d_.size()) fail("truncated pickle"); return static_cast<uint8_t>(d_[pos_++]); }
  uint32_t u32() { uint32_t v = 0; for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(u8()) << (8 * i); return v; }
  std::string bytes(size_t n) { if (pos_ + n > d_.size()) fail("truncated pickle"); std::string s(&d_[pos_], n); pos_ += n; return s; }
  std::string line() { std::string s; char c; while ((c = static_cast<char>(u8())) != '\n') s.push_back(c); return s; }
  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  ValuePtr pop() { if (stack_.empty()) fail("pickle stack underflow"); auto v = stack_.back(); stack_.pop_back(); return v; }
  ValuePtr top() { if (stack_.empty()) fail("pickle stack underflow"); return stack_.back(); }
  // Every variant access goes through as<T>: a pickle of the wrong shape is an Error, never
  // std::bad_variant_access (found by tests/fuzz/fuzz_torch_zip.cpp: APPEND onto a non-list).
  template <class T> T& as(const ValuePtr& v, const char* what) const {
    if (!std::holds_alternative<T>(v->v)) fail(what);
    return std::get<T>(v->v);
  }
  ValuePtr make(decltype(Value::v) v) {
    arena_.push_back(std::make_unique<Value>());
    arena_.back()->v = std::move(v);
    return arena_.back().get();
  }
  ValuePtr memo_at(size_t k) { auto it = memo_.find(k); if (it == memo_.end()) fail("bad memo reference"); return it->second; }
  Tuple pop_to_mark() {
    Tuple items;
    while (true) {
      auto v = pop();
      if (std::holds_alternative<Mark>(v->v)) break;
      items.push_back(v);
    }
    return Tuple(items.rbegin(), items.rend());
  }
  std::string str(const ValuePtr& v) const { if (!std::holds_alternative<std::string>(v->v)) fail("expected a string"); return std::get<std::string>(v->v); }
  int64_t integer(const ValuePtr& v) const { if (!std::holds_alternative<int64_t>(v->v)) fail("expected an integer"); return std::get<int64_t>(v->v); }
  std::vector<int64_t> ints(const ValuePtr& v) const {
    if (!std::holds_alternative<Tuple>(v->v)) fail("expected a tuple of integers");
    std::vector<int64_t> out;
    for (const auto& x : as<Tuple>(v, "expected a tuple of integers")) out.push_back(integer(x));
    return out;
  }
  ValuePtr persistent_load(const ValuePtr& pid) {
    // ('storage', torch.FloatStorage, key, 'cpu', numel)
    if (!std::holds_alternative<Tuple>(pid->v)) fail("persistent id is not a tuple");
    const auto& t = std::get<Tuple>(pid->v);
    if (t.size() < 5 || str(t[0]) != "storage" || !std::holds_alternative<Global>(t[1]->v)) fail("unexpected persistent id");
    const auto& g = std::get<Global>(t[1]->v);
    static const std::map<std::string, DType> kStorages = {
        {"FloatStorage", DType::F32}, {"HalfStorage", DType::F16}, {"BFloat16Storage", DType::BF16},
        {"DoubleStorage", DType::F64}, {"LongStorage", DType::I64}, {"IntStorage", DType::I32},
        {"ShortStorage", DType::I16}, {"CharStorage", DType::I8}, {"ByteStorage", DType::U8}, {"BoolStorage", DType::BOOL}};
    auto it = kStorages.find(g.name);
    if (g.module != "torch" || it == kStorages.end()) fail("unsupported storage type " + g.module + "." + g.name);
    return make(StorageRef{it->second, str(t[2]), integer(t[4])});
  }
  ValuePtr reduce(const ValuePtr& fn, const ValuePtr& args) {
    if (!std::holds_alternative<Global>(fn->v)) fail("REDUCE of a non-global");
    const auto& g = std::get<Global>(fn->v);
    const auto& a = as<Tuple>(args, "REDUCE arguments are not a tuple");
    if (g.module == "collections" && g.name == "OrderedDict") return make(Dict{});
    // LibTorch's pickle_save tags typed containers: restore_type_tag(value, "Dict[str, Tensor]") -> value.
    if (g.module == "torch.jit._pickle" && g.name == "restore_type_tag" && !a.empty()) return a[0];
    if (g.module == "torch._utils" && g.name == "_rebuild_tensor_v2") {
      if (a.size() < 4 || !std::holds_alternative<StorageRef>(a[0]->v)) fail("malformed _rebuild_tensor_v2");
      return make(TensorRef{std::get<StorageRef>(a[0]->v), integer(a[1]), ints(a[2]), ints(a[3])});
    }
    fail("refusing to call " + g.module + "." + g.name + " (only state-dict globals are allowed)");
  }

  const std::vector<char>& d_;
  std::string origin_;
  size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::map<size_t, ValuePtr> memo_;
  std::vector<std::unique_ptr<Value>> arena_;
};

RawTensor materialise(const TensorRef& t, const std::vector<char>& storage, const std::string& origin) {
  const size_t es = dtype_size(t.storage.dtype);
  if (t.storage.numel < 0 || static_cast<uint64_t>(t.storage.numel) > storage.size() / es)
    throw Error(origin + ": storage '" + t.storage.key + "' is shorter than its declared size");
  RawTensor r;
  r.dtype = t.storage.dtype;
  r.shape = t.size;
  if (t.size.size() != t.stride.size()) throw Error(origin + ": size and stride ranks differ");
  // The view's last element, offset + sum (size-1)*stride, must lie inside the storage; computed
  // without overflow before any index arithmetic (fuzzed sizes and strides are any int64).
  int64_t last = t.offset;
  bool empty = false;
  for (size_t d = 0; d < t.size.size(); ++d) {
    if (t.size[d] < 0 || t.stride[d] < 0) throw Error(origin + ": negative size or stride");
    if (t.size[d] == 0) empty = true;
    int64_t reach;
    if (t.size[d] > 0 && (__builtin_mul_overflow(t.size[d] - 1, t.stride[d], &reach) || __builtin_add_overflow(last, reach, &last)))
      throw Error(origin + ": tensor view runs outside its storage");
  }
  if (!empty && (t.offset < 0 || last >= t.storage.numel)) throw Error(origin + ": tensor view runs outside its storage");
  const int64_t n = r.numel();
  // More elements than the storage holds means a broadcast (stride 0) view, which torch.save of a
  // state dict never writes; refusing it bounds the allocation by the file's size.
  if (n > t.storage.numel)
    throw Error(origin + ": tensor view of " + std::to_string(n) + " elements over a storage of " + std::to_string(t.storage.numel));
  r.data.resize(static_cast<size_t>(n) * es);
  std::vector<int64_t> idx(t.size.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t src = t.offset;
    for (size_t d = 0; d < idx.size(); ++d) src += idx[d] * t.stride[d];
    if (src < 0 || src >= t.storage.numel) throw Error(origin + ": tensor view runs outside its storage");
    std::memcpy(&r.data[static_cast<size_t>(i) * es], &storage[static_cast<size_t>(src) * es], es);
    for (int64_t d = static_cast<int64_t>(idx.size()) - 1; d >= 0; --d) {
      if (++idx[d] < t.size[d]) break;
      idx[d] = 0;
    }
  }
  return r;
}

}  // namespace

TensorMap read_torch_zip(const std::string& path) {
  ZipFile zip(path);
  std::string prefix;
  for (const auto& [name, e] : zip.entries()) {
    const auto slash = name.find('/');
    if (slash != std::string::npos && name.substr(slash) == "/data.pkl") { prefix = name.substr(0, slash); break; }
  }
  if (prefix.empty()) throw Error(path + ": not a torch.save archive (no */data.pkl)");
  const auto pkl = zip.read(prefix + "/data.pkl");
  Unpickler up(pkl, path + " (data.pkl)");
  ValuePtr root = up.run();
  if (!std::holds_alternative<Dict>(root->v)) throw Error(path + ": top level is not a dict of tensors");
  TensorMap out;
  std::map<std::string, std::vector<char>> storages;
  for (const auto& [k, v] : std::get<Dict>(root->v)) {
    if (!std::holds_alternative<std::string>(k->v)) throw Error(path + ": a state-dict key is not a string");
    const auto& name = std::get<std::string>(k->v);
    if (!std::holds_alternative<TensorRef>(v->v)) continue;  // non-tensor entries are not weights
    const auto& t = std::get<TensorRef>(v->v);
    auto it = storages.find(t.storage.key);
    if (it == storages.end()) it = storages.emplace(t.storage.key, zip.read(prefix + "/data/" + t.storage.key)).first;
    out[name] = materialise(t, it->second, path + ": tensor '" + name + "'");
  }
  return out;
}

}  // namespace m3

// The document store's RocksDB writes through the same Env seam as index/'s own files (index/env.h):
// a rocksdb::FileSystem over RocksDB's default one whose file creations, appends, syncs, renames,
// directory creations and directory syncs go to Env::current(). So a FaultInjectionEnv fails
// RocksDB's calls too, and a power cut it simulates forgets RocksDB's unsynced bytes and entries;
// the commit tests then cover the whole collection, not index/'s files alone. Reads, locks, deletes
// and the info LOG go to RocksDB's default file system unchanged (deletes are durable at once in the
// fault model, as for index/'s files).
#pragma once

namespace rocksdb {
class Env;
}

namespace m3 {

// One process-wide RocksDB Env with that file system (what DocStore opens RocksDB with).
rocksdb::Env* rocksdb_env_over_env_seam();

}  // namespace m3

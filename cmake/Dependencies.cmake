# Finds every dependency once; modules link the targets named here.
#   Torch::Torch, m3::sentencepiece, m3::faiss, RocksDB::rocksdb, nlohmann_json, CLI11, Boost (headers),
#   GTest, benchmark, ZLIB, streamvbyte, xxhash.
# m3_module(<target> <folder> [deps...]): a static library of the folder's *.cpp with the repository
# root as include root, linking deps publicly.
function(m3_module target folder)
  file(GLOB _srcs CONFIGURE_DEPENDS ${folder}/*.cpp)
  add_library(${target} STATIC ${_srcs})
  target_include_directories(${target} PUBLIC ${CMAKE_SOURCE_DIR})
  target_link_libraries(${target} PUBLIC ${ARGN})
endfunction()

find_package(Threads REQUIRED)
find_package(spdlog REQUIRED)
find_package(Torch REQUIRED)
add_library(Torch::Torch INTERFACE IMPORTED)
set_target_properties(Torch::Torch PROPERTIES INTERFACE_LINK_LIBRARIES "${TORCH_LIBRARIES}")
# TORCH_CXX_FLAGS carries the ABI flag a pip/CUDA torch may need.
separate_arguments(_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
set_target_properties(Torch::Torch PROPERTIES INTERFACE_COMPILE_OPTIONS "${_torch_flags}")

find_package(nlohmann_json QUIET)
if(NOT nlohmann_json_FOUND)
  # GPU machines: a copy of the header travels in third_party/include (see scripts/device_train.sh)
  add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
  set_target_properties(nlohmann_json::nlohmann_json PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${M3_THIRD_PARTY}/include)
endif()

if(M3_TRAINER_ONLY)
  return()
endif()

find_package(ZLIB REQUIRED)
find_package(CLI11 REQUIRED)
find_package(RocksDB CONFIG REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
find_package(Protobuf REQUIRED)
find_package(OpenMP REQUIRED)   # must precede FAISS (its link interface names OpenMP::OpenMP_CXX)
find_package(BLAS REQUIRED)
find_package(LAPACK REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
find_library(STREAMVBYTE_LIB NAMES libstreamvbyte.a streamvbyte REQUIRED)
add_library(m3::streamvbyte INTERFACE IMPORTED)
set_target_properties(m3::streamvbyte PROPERTIES INTERFACE_LINK_LIBRARIES "${STREAMVBYTE_LIB}")

# SentencePiece: static, from Debian's source, against the system protobuf (TOOLCHAIN §2 route A).
set(_spm ${M3_THIRD_PARTY}/sentencepiece)
if(NOT EXISTS ${_spm}/build/src/libsentencepiece.a)
  message(FATAL_ERROR "SentencePiece static build missing: run scripts/deps.sh")
endif()
add_library(m3::sentencepiece INTERFACE IMPORTED)
set_target_properties(m3::sentencepiece PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_spm}/src;${_spm}/build/src"
  INTERFACE_LINK_LIBRARIES "${_spm}/build/src/libsentencepiece_train.a;${_spm}/build/src/libsentencepiece.a;protobuf::libprotobuf;Threads::Threads")

# FAISS: the AVX2 build from Debian's source (TOOLCHAIN §3.1), else Debian's generic one.
set(_faiss ${M3_THIRD_PARTY}/faiss)
add_library(m3::faiss INTERFACE IMPORTED)
if(EXISTS ${_faiss}/build/faiss/libfaiss_avx2.a)
  set_target_properties(m3::faiss PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_faiss}"
    INTERFACE_LINK_LIBRARIES "${_faiss}/build/faiss/libfaiss_avx2.a;OpenMP::OpenMP_CXX;${BLAS_LIBRARIES};${LAPACK_LIBRARIES}")
  message(STATUS "FAISS: AVX2 build from ${_faiss}")
else()
  find_package(faiss REQUIRED)
  set_target_properties(m3::faiss PROPERTIES INTERFACE_LINK_LIBRARIES "faiss")
  message(STATUS "FAISS: Debian's generic build")
endif()

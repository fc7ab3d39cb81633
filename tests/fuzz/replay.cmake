# The fuzz targets as plain programs in the normal build (any compiler, no libFuzzer): each
# tests/fuzz/fuzz_<name>.cpp + standalone_main.cpp -> build/tests/fuzz_replay_<name>, and a ctest
# test fuzz_<name> that replays the target's synthesised seeds and tests/fuzz/regressions/<name>/
# (every input that ever broke a reader), so scripts/test.sh and CI run them on every change.
# Included from tests/CMakeLists.txt.
set(_fuzz_dir ${CMAKE_SOURCE_DIR}/tests/fuzz)
file(GLOB _fuzz_targets CONFIGURE_DEPENDS ${_fuzz_dir}/fuzz_*.cpp)
list(REMOVE_ITEM _fuzz_targets ${_fuzz_dir}/fuzz_support.cpp)
add_library(m3_fuzz_replay_support OBJECT ${_fuzz_dir}/fuzz_support.cpp ${_fuzz_dir}/standalone_main.cpp)
# OBJECT, not STATIC: main() and LLVMFuzzerInitialize are only referenced from outside, so an
# archive would never be searched for them.
target_link_libraries(m3_fuzz_replay_support PUBLIC m3_common m3_index m3_engine m3_encoder)
target_compile_definitions(m3_fuzz_replay_support PUBLIC M3_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
foreach(src ${_fuzz_targets})
  get_filename_component(name ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" name ${name})
  add_executable(fuzz_replay_${name} ${src})
  target_link_libraries(fuzz_replay_${name} PRIVATE m3_fuzz_replay_support)
  set_target_properties(fuzz_replay_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME fuzz_${name} COMMAND fuzz_replay_${name} ${_fuzz_dir}/regressions/${name} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(fuzz_${name} PROPERTIES TIMEOUT 300 LABELS fuzz)
endforeach()

# Reliability suite (issue 6): kill -9 torture, broker faults, a rebalance, disk faults, hostile
# input, security checks, the soak (tests/integration/rel_*.sh). Labels "reliability;integration":
# each runs in the default ctest run in its short version (two minutes at most); RL_LONG=1
# (`make reliability`) picks the long ones. The config parser's fuzz target runs through
# tests/fuzz/run_fuzz.sh; every committed fuzz corpus is replayed as a unit test (below).

# rel_ckpt_dump: reads a checkpoint as relearnd does; prints offsets, counters and state hashes.
add_executable(rel_ckpt_dump rel_ckpt_dump.c)
target_link_libraries(rel_ckpt_dump PRIVATE rl_storage rl_model PkgConfig::XXHASH)

# rel_hostile_gen: hostile Event payloads, one file per message, and what relearnd must do.
add_executable(rel_hostile_gen rel_hostile_gen.c)
target_link_libraries(rel_hostile_gen PRIVATE rl_wire ${MATH_LIB})

# rel_committed: a group's committed offsets as the broker holds them (never joins the group).
add_executable(rel_committed rel_committed.c)
target_link_libraries(rel_committed PRIVATE PkgConfig::RDKAFKA)

# faultfs: LD_PRELOAD shim failing open/write/fsync/rename under one directory (ENOSPC, EIO).
# Built without the sanitizers even in an ASan build: it is preloaded into plain binaries.
find_package(Threads REQUIRED)
add_library(rl_faultfs SHARED shim/faultfs.c)
set_property(TARGET rl_faultfs PROPERTY COMPILE_OPTIONS -Wall -Wextra -Wshadow -O1 -fPIC)
set_property(TARGET rl_faultfs PROPERTY LINK_OPTIONS "")
set_property(TARGET rl_faultfs PROPERTY C_EXTENSIONS ON)
target_link_libraries(rl_faultfs PRIVATE ${CMAKE_DL_LIBS} Threads::Threads)

foreach(t kill9 broker_faults rebalance disk hostile security soak)
  rl_script_test(rel_${t} integration/rel_${t}.sh "reliability;integration")
  set_tests_properties(rel_${t} PROPERTIES TIMEOUT 1800)
endforeach()

# Fuzzing relearnd's config parser (libFuzzer, clang) through the checkpoint engineer's runner.
rl_script_test(fuzz_config fuzz/run_fuzz.sh "fuzz;reliability")
set_property(TEST fuzz_config APPEND PROPERTY ENVIRONMENT "RL_FUZZ_TARGETS=config")
set_tests_properties(fuzz_config PROPERTIES TIMEOUT 900)

# Corpus replays: every committed fuzz input (seeds and regressions) run once through its
# target's entry point in the normal build, so a crash once found stays fixed (label unit: the
# ASan+UBSan pass of `make test` runs them too).
function(rel_replay name target corpus)
  add_executable(${name} fuzz/replay_main.c fuzz/${target}.c)
  target_link_libraries(${name} PRIVATE ${ARGN})
  add_test(NAME ${name} COMMAND ${name} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${corpus})
  set_tests_properties(${name} PROPERTIES LABELS "unit;reliability;fuzz"
    ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
endfunction()
rel_replay(replay_config fuzz_config config rl_daemon)
rel_replay(replay_reader fuzz_reader reader rl_input ${MATH_LIB})
rel_replay(replay_event fuzz_event event rl_wire rl_proto ${MATH_LIB})

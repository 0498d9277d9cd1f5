# Checkpoints, snapshots (storage/ckpt*, snapshot*), the feature dictionary (model/dict*), and the
# inspect / diff / verify commands. Fuzz targets: tests/fuzz/ (script test, needs clang).
rl_unit_test(test_ckpt_files SOURCES test_ckpt_files.c LIBS rl_storage rl_model LABELS storage)
rl_unit_test(test_ckpt SOURCES test_ckpt.c LIBS rl_storage rl_model rl_proto PkgConfig::XXHASH
  LABELS storage)
rl_unit_test(test_ckpt_load SOURCES test_ckpt_load.c LIBS rl_storage rl_model LABELS storage)
rl_unit_test(test_zero_runs SOURCES test_zero_runs.c LIBS rl_storage LABELS storage)
rl_unit_test(test_alert_json SOURCES test_alert_json.c LIBS rl_wire LABELS wire)
# Writes the committed seed corpus of the fuzz targets (tests/fuzz/corpus/); not a test.
add_executable(rl_make_fuzz_corpus fuzz/make_corpus.c)
target_link_libraries(rl_make_fuzz_corpus PRIVATE rl_storage rl_model)
# libFuzzer targets for the checkpoint readers (buffered, and streamed against buffered) and the
# snapshot reader: built with clang by the shared runner and run ~8 s each (RL_LONG=1: 10 min)
# over the committed corpus.
rl_script_test(fuzz_ckpt_snapshot fuzz/run_fuzz.sh "fuzz;reliability")
set_property(TEST fuzz_ckpt_snapshot APPEND PROPERTY ENVIRONMENT "RL_FUZZ_TARGETS=ckpt ckpt_load snapshot")
set_tests_properties(fuzz_ckpt_snapshot PROPERTIES TIMEOUT 2100) # RL_LONG=1: 3 x 600 s
rl_unit_test(test_snapshot SOURCES test_snapshot.c LIBS rl_storage rl_model rl_proto
  PkgConfig::XXHASH LABELS storage)
rl_unit_test(test_dict SOURCES test_dict.c LIBS rl_model ${MATH_LIB} LABELS model)
# relearn inspect / diff / verify end to end on small generated files.
rl_script_test(ckpt_cli ckpt_cli.sh "cli;storage")

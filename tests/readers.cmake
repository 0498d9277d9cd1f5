# Text readers (input/reader*.c): libsvm, VW, CSV.
rl_unit_test(test_readers SOURCES test_readers.c LIBS rl_input rl_learners rl_common LABELS input)
# libFuzzer target for the readers (built with clang by the shared runner, ~8 s; RL_LONG=1:
# 10 min) over the committed seed corpus tests/fuzz/corpus/reader/.
rl_script_test(fuzz_reader fuzz/run_fuzz.sh "fuzz;reliability")
set_property(TEST fuzz_reader APPEND PROPERTY ENVIRONMENT "RL_FUZZ_TARGETS=reader")
set_tests_properties(fuzz_reader PROPERTIES TIMEOUT 900)

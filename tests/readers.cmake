# Text readers (format/reader*.c): libsvm, VW, CSV.
rl_unit_test(test_readers SOURCES test_readers.c LIBS rl_format rl_learners rl_common LABELS format)
# libFuzzer target for the readers (built with clang by the script, ~20 s; RL_LONG=1: 10 min)
# over the committed seed corpus tests/fuzz/corpus/reader/.
rl_script_test(fuzz_reader fuzz/run_fuzz_reader.sh "fuzz;reliability")
set_tests_properties(fuzz_reader PROPERTIES TIMEOUT 900)

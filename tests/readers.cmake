# Text readers (format/reader*.c): libsvm, VW, CSV.
rl_unit_test(test_readers SOURCES test_readers.c LIBS rl_format rl_learners rl_common LABELS format)

# common/: error helpers, the little-endian buffer and reader, double formatting.
rl_unit_test(test_common SOURCES test_common.c LIBS rl_common LABELS common)

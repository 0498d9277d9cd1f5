# common/: error helpers, the little-endian buffer and reader, double formatting.
if(TARGET rl_common)
  rl_unit_test(test_common SOURCES test_common.c LIBS rl_common LABELS common)
endif()

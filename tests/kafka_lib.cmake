# kafka/: the snapshot headers parser, header reading, log lines and quoting, and which client
# a property reaches (no broker needed).
if(TARGET rl_kafka)
  rl_unit_test(test_kafka SOURCES test_kafka.c LIBS rl_kafka LABELS kafka)
endif()

# Drift detectors: registry, parameters, reference streams, state round-trips.
if(TARGET rl_drift)
  rl_unit_test(test_drift SOURCES test_drift.c LIBS rl_drift rl_common LABELS drift)
endif()

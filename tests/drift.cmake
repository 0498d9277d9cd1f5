# Drift detectors: registry, parameters, reference streams, state round-trips (unit), and the
# stream generator read back by `relearn eval` (script).
rl_unit_test(test_drift SOURCES test_drift.c LIBS rl_drift rl_common LABELS drift)
rl_unit_test(test_drift_warning SOURCES test_drift_warning.c LIBS rl_drift rl_common
  LABELS drift)
rl_script_test(drift_streams drift_streams.sh "integration;drift")

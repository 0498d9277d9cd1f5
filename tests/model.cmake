# Model and metrics unit tests (model/): the model step in one executable per concern (shared
# helpers: tests/model_stream.h), and the metrics.
foreach(t responses alerts state config)
  rl_unit_test(test_model_${t} SOURCES test_model_${t}.c LIBS rl_model LABELS model)
endforeach()
rl_unit_test(test_metrics SOURCES test_metrics.c LIBS rl_model LABELS model)
rl_unit_test(test_gate SOURCES test_gate.c LIBS rl_model LABELS model)

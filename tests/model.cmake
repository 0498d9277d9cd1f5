# Model and metrics unit tests (model/).
rl_unit_test(test_model SOURCES test_model.c LIBS rl_model LABELS model)
rl_unit_test(test_metrics SOURCES test_metrics.c LIBS rl_model LABELS model)

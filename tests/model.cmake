# Model and metrics unit tests (model/). Registered only once the libraries it needs exist, so a
# tree where learners/ or drift/ have no sources yet still configures.
if(TARGET rl_model AND TARGET rl_learners AND TARGET rl_drift
   AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/test_model.c)
  rl_unit_test(test_model SOURCES test_model.c LIBS rl_model LABELS model)
  rl_unit_test(test_metrics SOURCES test_metrics.c LIBS rl_model LABELS model)
endif()

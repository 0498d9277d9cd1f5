# A snapshot scores exactly as its model (tests/test_predictor.c), for every learner configuration.
rl_unit_test(test_predictor SOURCES test_predictor.c LIBS rl_storage rl_model rl_proto
  rl_learners LABELS snapshot)
target_link_options(test_predictor PRIVATE
  -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc -pthread)

# Learner conformance suite, known answers, losses, hashing (tests/test_learners.c).
# malloc/calloc/realloc are wrapped so the test can prove learn() allocates nothing per example.
rl_unit_test(test_learners SOURCES test_learners.c LIBS rl_learners LABELS learners)
target_link_options(test_learners PRIVATE
  -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc)

# Learner conformance suite, known answers, losses, hashing (tests/test_learners.c).
if(TARGET rl_learners)
  rl_unit_test(test_learners SOURCES test_learners.c LIBS rl_learners LABELS learners)
endif()

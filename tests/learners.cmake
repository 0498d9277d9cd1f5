# The learners, one executable per concern (shared helpers: tests/learner_util.h): the conformance
# suite over every learner, parameters and losses, known answers, convergence and equivalences,
# hashing and interactions, and no allocation per example.
foreach(t conformance params known convergence hashing)
  rl_unit_test(test_learner_${t} SOURCES test_learner_${t}.c LIBS rl_learners LABELS learners)
endforeach()
# malloc/calloc/realloc are wrapped so the test can prove learn() allocates nothing per example.
rl_unit_test(test_learner_alloc SOURCES test_learner_alloc.c LIBS rl_learners LABELS learners)
target_link_options(test_learner_alloc PRIVATE
  -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc)

# common/rl_param: the one parser of bounded parameters (config keys, hyperparameters, options).
if(TARGET rl_common)
  rl_unit_test(test_param SOURCES test_param.c LIBS rl_common LABELS common)
endif()

# relearnd: configuration (unit) and the daemon end to end (integration, against `relearn
# broker` in its own process, kcat as the independent client).
rl_unit_test(test_config SOURCES test_config.c LIBS rl_daemon LABELS daemon)
rl_unit_test(test_fetch_wake SOURCES test_fetch_wake.c LIBS rl_daemon LABELS daemon)
foreach(t flow crash deadletter drift config group demo brokerfault offsetreset dict health
    metrics notify chunks json text)
  rl_script_test(daemon_${t} integration/daemon_${t}.sh "integration;daemon")
  set_tests_properties(daemon_${t} PROPERTIES TIMEOUT 240)
endforeach()

# relearnd: configuration (unit) and the daemon end to end (integration, against `relearn
# broker` in its own process, kcat as the independent client).
if(TARGET rl_daemon)
  rl_unit_test(test_config SOURCES test_config.c LIBS rl_daemon LABELS daemon)
endif()
foreach(t flow crash deadletter drift config group demo brokerfault offsetreset)
  rl_script_test(daemon_${t} integration/daemon_${t}.sh "integration;daemon")
  set_tests_properties(daemon_${t} PROPERTIES TIMEOUT 240)
endforeach()
# LD_PRELOAD shim for the disk-fault test: fails file creation under a directory on demand.
add_library(rl_daemon_faultfs MODULE ${CMAKE_CURRENT_SOURCE_DIR}/daemon_faultfs.c)
set_target_properties(rl_daemon_faultfs PROPERTIES PREFIX "lib" LIBRARY_OUTPUT_DIRECTORY
  ${CMAKE_BINARY_DIR}/tests)
target_link_libraries(rl_daemon_faultfs PRIVATE ${CMAKE_DL_LIBS})
rl_script_test(daemon_diskfault integration/daemon_diskfault.sh "integration;daemon;reliability")
set_tests_properties(daemon_diskfault PROPERTIES TIMEOUT 240)
rl_script_test(daemon_torture integration/daemon_torture.sh "reliability;daemon")
set_tests_properties(daemon_torture PROPERTIES TIMEOUT 900)

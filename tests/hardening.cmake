# Hardening (issue 17): each test reproduces a hole an independent run found (backward offset
# resets, alerts sent twice across restarts, slow HTTP clients, giant checkpoint files, FIFOs,
# a deleted checkpoint directory) and shows it closed. BENCHMARKS.md's reliability section says
# what each proved.
foreach(t offsetreplay alerts_restarts slowclients giantckpt ckptdir_gone)
  rl_script_test(daemon_${t} integration/daemon_${t}.sh "integration;daemon;reliability")
  set_tests_properties(daemon_${t} PROPERTIES TIMEOUT 240)
endforeach()
rl_script_test(cli_nonregular integration/cli_nonregular.sh "integration;cli;reliability")
set_tests_properties(cli_nonregular PROPERTIES TIMEOUT 120)

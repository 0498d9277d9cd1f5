# relearn on an operator's mistakes (no broker): bounded produce to an unreachable broker,
# outputs that would overwrite inputs, omitted option values, unwritable stdout, diff across
# hash seeds.
rl_script_test(cli_edges integration/cli_edges.sh "integration;cli")
set_tests_properties(cli_edges PROPERTIES TIMEOUT 120)

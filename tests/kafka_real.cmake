# The integration tests whose body is broker-neutral run twice: against `relearn broker` (their
# own registration, always) and against a real Apache Kafka (this file: NAME_kafka, label
# kafka-real, RL_BROKER=kafka; scripts/kafka.sh starts one per test, KRaft, loopback). A test that
# injects faults through relearn broker's control file stays mock-only. Tests that only a real
# broker can run (restart with data on disk, retention, replication, the group coordinator,
# compaction, auto-creation off) are tests/integration/kafka_*.sh.
# Cost: 18 tests, each starting its own broker (4.6-16 s, by load; 3 nodes ~40 s loaded); the
# whole label took 423 s of wall time at ctest -j2 with the machine at load average 20-28
# (2026-12-08; 817 s of test time summed). `ctest -LE kafka-real` leaves them out.
function(rl_kafka_real_test name script labels)
  rl_script_test(${name}_kafka ${script} "${labels};kafka-real")
  set_property(TEST ${name}_kafka APPEND PROPERTY ENVIRONMENT "RL_BROKER=kafka")
  set_tests_properties(${name}_kafka PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endfunction()

rl_kafka_real_test(broker_produce integration/broker_produce.sh "integration;kafka")
rl_kafka_real_test(broker_snapshots integration/broker_snapshots.sh "integration;kafka")
foreach(t flow crash deadletter drift group dict chunks alerts alerts_crash)
  rl_kafka_real_test(daemon_${t} integration/daemon_${t}.sh "integration;daemon")
endforeach()
foreach(t rebalance)
  rl_kafka_real_test(rel_${t} integration/rel_${t}.sh "reliability;integration")
endforeach()

# Real-Kafka-only tests (tests/integration/kafka_*.sh), each named by what it proves.
foreach(t autocreate_off restart cluster group retention compaction)
  rl_script_test(kafka_${t} integration/kafka_${t}.sh "integration;daemon;kafka-real")
  set_property(TEST kafka_${t} APPEND PROPERTY ENVIRONMENT "RL_BROKER=kafka")
  set_tests_properties(kafka_${t} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endforeach()

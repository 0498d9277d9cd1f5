# Kafka tools: the Event codec (unit) and relearn broker / produce / snapshots (integration,
# against `relearn broker` in its own process, kcat as the independent client).
rl_unit_test(test_event_codec SOURCES test_event_codec.c LIBS rl_wire rl_proto LABELS kafka)
rl_unit_test(test_event_json SOURCES test_event_json.c LIBS rl_wire rl_proto LABELS kafka)
# rl_event_dump: decodes kcat '%R%s' output (or a text file, the eval way) for the scripts.
add_executable(rl_event_dump kafka_event_dump.c)
target_link_libraries(rl_event_dump PRIVATE rl_wire)
rl_script_test(broker_basic integration/broker_basic.sh "integration;kafka")
rl_script_test(broker_produce integration/broker_produce.sh "integration;kafka")
rl_script_test(broker_faults integration/broker_faults.sh "integration;kafka")
set_tests_properties(broker_basic broker_produce broker_faults PROPERTIES TIMEOUT 180)
# rl_snapshot_gen: real snapshots and chunks as files, for the snapshots script.
add_executable(rl_snapshot_gen kafka_snapshot_gen.c)
target_link_libraries(rl_snapshot_gen PRIVATE rl_storage rl_model)
rl_script_test(broker_snapshots integration/broker_snapshots.sh "integration;kafka")
set_tests_properties(broker_snapshots PROPERTIES TIMEOUT 180)
# libFuzzer target for the Event decoder, differential against protobuf-c: built with clang by
# the shared runner and run ~8 s (RL_LONG=1: 10 min) over the committed corpus
# tests/fuzz/corpus/event/.
rl_script_test(fuzz_event fuzz/run_fuzz.sh "fuzz;reliability;kafka")
set_property(TEST fuzz_event APPEND PROPERTY ENVIRONMENT "RL_FUZZ_TARGETS=event")
set_tests_properties(fuzz_event PROPERTIES TIMEOUT 900)

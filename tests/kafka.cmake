# Kafka tools: the Event codec (unit) and relearn broker / produce / snapshots (integration,
# against `relearn broker` in its own process, kcat as the independent client).
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/test_event_codec.c AND TARGET rl_format)
  rl_unit_test(test_event_codec SOURCES test_event_codec.c LIBS rl_format rl_proto LABELS kafka)
endif()
rl_script_test(broker_basic integration/broker_basic.sh "integration;kafka")
set_tests_properties(broker_basic PROPERTIES TIMEOUT 120)

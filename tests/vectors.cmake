# The test vectors of docs/FORMAT.md: tests/vectors/ must be exactly what the code produces
# (rl_vector_gen --check); `build/tests/rl_vector_gen --write tests/vectors` remakes them.
add_executable(rl_vector_gen vector_gen.c)
target_link_libraries(rl_vector_gen PRIVATE rl_storage rl_input rl_model PkgConfig::JANSSON)
add_test(NAME format_vectors COMMAND rl_vector_gen --check ${CMAKE_CURRENT_SOURCE_DIR}/vectors)
set_tests_properties(format_vectors PROPERTIES LABELS "unit;storage"
  ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
# Scores events with a snapshot file, for comparing another implementation with the C one.
add_executable(rl_snapshot_score snapshot_score.c)
target_link_libraries(rl_snapshot_score PRIVATE rl_storage rl_input rl_model PkgConfig::JANSSON)
# The Python reader written from docs/FORMAT.md (python/relearn_snapshot.py) reproduces the C
# code's outputs on the vectors bit for bit; Debian's python3 with python3-protobuf,
# python3-xxhash, python3-zstandard and protoc (scripts/deps.sh --test).
add_test(NAME python_snapshot_vectors
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python_vectors.py ${CMAKE_CURRENT_SOURCE_DIR}/vectors)
set_tests_properties(python_snapshot_vectors PROPERTIES LABELS "format;python"
  ENVIRONMENT "RELEARN_PROTO_DIR=${CMAKE_SOURCE_DIR}/proto")
# ... and on a snapshot relearnd publishes (chunked, clip scales): same outputs as the C predictor.
rl_script_test(python_snapshot integration/python_snapshot.sh "integration;python")
set_tests_properties(python_snapshot PROPERTIES TIMEOUT 300)

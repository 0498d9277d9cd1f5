# librelearn (include/relearn.h) and `relearn serve`.
rl_unit_test(test_relearn SOURCES test_relearn.c LIBS rl_relearn rl_storage pthread
  "-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc")
add_executable(relearn_score relearn_score.c)
target_link_libraries(relearn_score PRIVATE rl_relearn)
rl_script_test(serve_file integration/serve_file.sh "integration")
rl_script_test(install integration/install.sh "integration")
rl_script_test(serve_follow integration/serve_follow.sh "integration")
set_tests_properties(serve_follow PROPERTIES TIMEOUT 300)
rl_script_test(serve_hotswap integration/serve_hotswap.sh "integration")
set_tests_properties(serve_hotswap PROPERTIES TIMEOUT 300)
rl_unit_test(test_serve SOURCES test_serve.c LIBS rl_serve)

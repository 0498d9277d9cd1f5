# What README.md and deploy/ tell an operator to type, run as written: README's eval and
# local-broker blocks line by line, the systemd unit's, the container's and the manifest's
# relearnd command lines (with their configs) through --check-config.
rl_script_test(docs_readme integration/docs_readme.sh "integration;cli;docs")
set_tests_properties(docs_readme PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77)
rl_script_test(docs_deploy integration/docs_deploy.sh "integration;daemon;docs")
set_tests_properties(docs_deploy PROPERTIES TIMEOUT 60)
# Formatting: every tracked .c/.h as clang-format writes it (exit 77 = clang-format missing).
rl_script_test(format_check format_check.sh "docs;format")
set_tests_properties(format_check PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
# Every file a comment, script, CMake file or document names exists in the repository (no
# pointers to notes a clone lacks; tests/docs_refs.py says what counts as a reference).
add_test(NAME docs_refs COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/docs_refs.py
  ${CMAKE_SOURCE_DIR})
set_tests_properties(docs_refs PROPERTIES LABELS "docs")

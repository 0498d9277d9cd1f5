# deploy/Containerfile's image built and run with podman (relearnd and `relearn broker` as
# containers: health check, SIGTERM, the checkpoint volume across containers). Minutes (the
# image build), so its own label: `make test` leaves it out (-LE container), `make
# test-container` runs it, and .ci/run runs that after `make test` when time is left.
rl_script_test(container integration/container.sh "integration;container")
set_tests_properties(container PROPERTIES TIMEOUT 1200 SKIP_RETURN_CODE 77)

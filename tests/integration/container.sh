# container.sh - deploy/Containerfile's image, built and run with podman (ctest label container,
# `make test-container`): relearnd and `relearn broker` as containers on the host network. The
# image's health check passes once relearnd learns; SIGTERM (podman stop) stops it with exit
# status 0 after its final checkpoint; the checkpoint volume survives the container: a new
# container on the same volume resumes the model (events learned before + after, each once).
# The base image is made once and cached (scripts/container_base.sh: mmdebstrap + podman
# import); podman caches the build's layers. Exit 77 (skip) without podman or mmdebstrap.
. "$RL_TESTS/integration/lib.sh"
rl_init container
command -v podman >/dev/null 2>&1 || rl_skip "podman is not installed"
command -v mmdebstrap >/dev/null 2>&1 || podman image exists localhost/relearn-base:bookworm ||
    rl_skip "mmdebstrap is not installed (needed once, for the base image)"
src=$(cd "$RL_TESTS/.." && pwd)
tag=localhost/relearnd:test
sfx=$$
broker=rl-broker-$sfx
daemon=rl-relearnd-$sfx
vol=rl-ckpt-$sfx
cleanup_containers() {
    podman rm -f -v -t 0 "$broker" "$daemon" >/dev/null 2>&1
    podman volume rm -f "$vol" >/dev/null 2>&1
    return 0
}
trap 'cleanup_containers; rl_cleanup' EXIT

t0=$(date +%s)
sh "$src/scripts/container_base.sh" 2>"$RL_WORK/base.log" || rl_fail "base image: $(tail -3 "$RL_WORK/base.log")"
podman build --format docker --network host --build-arg BASE=localhost/relearn-base:bookworm \
    -f "$src/deploy/Containerfile" -t "$tag" "$src" >"$RL_WORK/build.log" 2>&1 ||
    rl_fail "podman build: $(tail -5 "$RL_WORK/build.log")"
rl_log "image built in $(($(date +%s) - t0)) s"

# The broker: `relearn broker` from the same image; its bootstrap address is its first line.
podman run -d --name "$broker" --network host --entrypoint /usr/local/bin/relearn "$tag" \
    broker --partitions 1 --topics events >/dev/null || rl_fail "podman run broker"
boot() { podman logs "$broker" 2>/dev/null | grep -m1 '^127\.0\.0\.1:[0-9]*$'; }
rl_wait_for 30 sh -c "podman logs $broker 2>/dev/null | grep -q '^127.0.0.1:'" || rl_fail "broker container: $(podman logs "$broker" 2>&1 | tail -3)"
bs=$(boot)
rl_gen_stream 2000 5 >"$RL_WORK/a.svm"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/a.svm" 2>"$RL_WORK/produce.log" || rl_fail "produce"

# relearnd: the config mounted where the image's CMD reads it, the checkpoint volume, and the
# metrics on a free loopback port (host network).
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '[model]\nname = m\nlearner = sgd\nbits = 12\n[input]\nbrokers = %s\ntopics = events\ngroup = g\ninstance_id = c0\n[checkpoint]\nevery_events = 500\n[snapshot]\nevery_events = 0\nevery_seconds = 0\n' \
    "$bs" >"$RL_WORK/relearnd.ini"
chmod 644 "$RL_WORK/relearnd.ini"
podman volume create "$vol" >/dev/null || rl_fail "volume"
run_daemon() {
    podman run -d --name "$daemon" --network host -e RELEARND_METRICS_PORT="$port" -v "$RL_WORK/relearnd.ini:/etc/relearnd/relearnd.ini:ro,Z" \
        -v "$vol:/var/lib/relearnd/checkpoints" "$tag" --config /etc/relearnd/relearnd.ini \
        --checkpoint-dir /var/lib/relearnd/checkpoints --metrics-listen "127.0.0.1:$port" >/dev/null ||
        rl_fail "podman run relearnd"
}
events() { curl -s --max-time 3 "http://127.0.0.1:$port/metrics" | awk '$1 == "relearnd_model_events" { print $2 }'; }
events_are() { [ "$(events)" = "$1" ]; }
# the image's HEALTHCHECK (curl /healthz inside the container)
healthy() { podman healthcheck run "$daemon" >/dev/null 2>&1; }
run_daemon
rl_wait_for 90 events_are 2000 || rl_fail "relearnd container: model_events '$(events)': $(podman logs "$daemon" 2>&1 | tail -5)"
rl_wait_for 30 healthy || rl_fail "health check: $(podman healthcheck run "$daemon" 2>&1 | tail -2)"

# SIGTERM: final checkpoint and commit, exit status 0.
podman stop -t 60 "$daemon" >/dev/null || rl_fail "podman stop"
rl_assert_eq "relearnd container exit status after SIGTERM" 0 "$(podman inspect "$daemon" --format '{{.State.ExitCode}}')"
podman logs "$daemon" 2>&1 | grep -q 'msg="checkpoint written" why=shutdown' ||
    podman logs "$daemon" 2>&1 | grep -q 'msg="stopping: final checkpoint and commit"' ||
    rl_fail "no final checkpoint: $(podman logs "$daemon" 2>&1 | tail -3)"
podman rm -v "$daemon" >/dev/null

# A new container on the same volume resumes: 2000 events in the model at once, 3000 after 1000
# more (none learned twice).
rl_gen_stream 1000 6 >"$RL_WORK/b.svm"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/b.svm" 2>>"$RL_WORK/produce.log" || rl_fail "produce"
run_daemon
rl_wait_for 90 events_are 3000 || rl_fail "after the restart: model_events '$(events)': $(podman logs "$daemon" 2>&1 | tail -5)"
podman logs "$daemon" 2>&1 | grep -q 'fresh model' && rl_fail "the second container started a fresh model"
podman stop -t 60 "$daemon" >/dev/null
rl_assert_eq "second container exit status" 0 "$(podman inspect "$daemon" --format '{{.State.ExitCode}}')"
rl_log "ok in $(($(date +%s) - t0)) s"

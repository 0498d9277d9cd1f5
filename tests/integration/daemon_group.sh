# daemon_group.sh - two relearnd instances in one consumer group split the partitions; when one
# joins later, the partitions that move are resumed by the other at the group commit. Restarted
# together, each partition resumes where docs/DESIGN.md's rule says: at this instance's checkpoint if
# it made the last commit, else at the group's commit. Across both models every event is learned
# exactly once.
#
# librdkafka's mock coordinator refuses offset commits while a rebalance is in progress (Kafka
# accepts them from members of the current generation), so a commit made in the revoke callback
# fails there and relearnd rolls back to its last committed checkpoint (rel_rebalance tests
# that). This test lets commits catch up before each membership change, so that the resume
# positions it checks are the plain rule's.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_group
. "$RL_TESTS/integration/daemon_lib.sh"

rl_broker_start b --partitions 4 --topics events
bs=$(rl_bootstrap b)
rl_daemon_config x b
rl_daemon_config y b

sum_events() {
    echo $(($(rl_metric x model_events) + $(rl_metric y model_events)))
}
sum_is() {
    [ "$(sum_events)" = "$1" ]
}
holds() { # holds NAME N: NAME has exactly N partitions assigned
    [ "$(curl -s "http://127.0.0.1:$(cat "$RL_WORK/$1.port")/metrics" | grep -c '^relearnd_partition_lag{')" = "$2" ]
}
committed_current() { # every assigned partition of NAME is committed up to what it consumed
    curl -s "http://127.0.0.1:$(cat "$RL_WORK/$1.port")/metrics" | awk '
        /^relearnd_partition_next_offset\{/ { split($1, a, "{"); next_[a[2]] = $2 }
        /^relearnd_partition_committed_offset\{/ { split($1, a, "{"); comm[a[2]] = $2 }
        END { for (k in next_) if (next_[k] >= 0 && comm[k] != next_[k]) exit 1 }'
}
produce() {
    rl_gen_stream 1000 "$1" >"$RL_WORK/s$1.svm"
    "$RELEARN" produce --brokers "$bs" --topic events --key line "$RL_WORK/s$1.svm" \
        2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
}

produce 1
rl_daemon_start x
rl_wait_metric x model_events 1000 60
rl_wait_for 10 committed_current x || rl_fail "x did not commit what it learned"
# y joins: x gives up two partitions; y resumes them at x's commit, where x stopped.
rl_daemon_start y
rl_wait_for 60 holds y 2 || rl_fail "y never got two partitions"
rl_wait_for 10 holds x 2 || rl_fail "x does not hold the other two partitions"
for p in $(sed -n 's/.*msg="partition assigned" topic=events partition=\([0-9]*\) start=\([0-9]*\) why="group commit".*/\1:\2/p' "$RL_WORK/y.log"); do
    part=${p%%:*}
    start=${p#*:}
    grep -q "msg=\"partition revoked\" topic=events partition=$part next=$start " "$RL_WORK/x.log" ||
        rl_fail "y resumed partition $part at $start, not where x stopped"
done
grep -q 'why="group commit" committed=[0-9]* committed_by="x:' "$RL_WORK/y.log" ||
    rl_fail "y did not resume a moved partition at x's commit"
# The two partitions x kept, x resumed from its own checkpoint (it made their last commit).
# (The mock coordinator may take more than one round: count at least two.)
[ "$(grep -c 'msg="partition assigned".*why="own checkpoint".*committed_by="x:' "$RL_WORK/x.log")" -ge 2 ] ||
    rl_fail "x did not resume the partitions it kept from its own checkpoint"

produce 2
rl_wait_for 60 sum_is 2000 || rl_fail "x + y learned $(sum_events) events, expected 2000"
rl_wait_for 10 committed_current x || rl_fail "x did not commit what it learned"
rl_wait_for 10 committed_current y || rl_fail "y did not commit what it learned"
kill -TERM "$(rl_daemon_pid x)" "$(rl_daemon_pid y)"
rl_daemon_wait x
rl_daemon_wait y

# Both back at once; once the group is stable, more events. Which instance gets which
# partitions is the assignor's choice; each partition must resume by the rule either way.
echo "---- phase 3" >>"$RL_WORK/x.log"
echo "---- phase 3" >>"$RL_WORK/y.log"
rl_daemon_start x
rl_daemon_start y
rl_wait_for 60 sh -c "$(command -v curl) -s http://127.0.0.1:$(cat "$RL_WORK/x.port")/metrics | grep -c '^relearnd_partition_lag{' | grep -qx 2" ||
    rl_fail "x does not hold two partitions after the restart"
rl_wait_for 30 holds y 2 || rl_fail "y does not hold two partitions after the restart"
produce 3
rl_wait_for 60 sum_is 3000 || rl_fail "x + y learned $(sum_events) events, expected 3000"
sleep 2
rl_assert_eq "events across both models" 3000 "$(sum_events)"
for inst in x y; do
    sed -n '/^---- phase 3/,$p' "$RL_WORK/$inst.log" | grep 'msg="partition assigned"' >"$RL_WORK/$inst.assign"
    while read -r line; do
        case "$line" in
        *"committed_by=\"$inst:"*) echo "$line" | grep -q 'why="own checkpoint"' ||
            rl_fail "$inst: own commit but not resumed from own checkpoint: $line" ;;
        *"committed_by=\""[a-z]*":"*) echo "$line" | grep -q 'why="group commit"' ||
            rl_fail "$inst: other's commit but not resumed from it: $line" ;;
        esac
    done <"$RL_WORK/$inst.assign"
done
[ "$(cat "$RL_WORK/x.assign" "$RL_WORK/y.assign" | wc -l)" -ge 4 ] ||
    rl_fail "fewer than four partition assignments after the restart"
rl_daemon_stop x
rl_daemon_stop y
rl_log "ok"

# daemon_deadletter.sh - bad events are counted by reason and land in the dead-letter topic
# with their original bytes and headers plus relearn-reason / topic / partition / offset; the
# stream never stalls (good events after them are learned, offsets move past them).
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_deadletter
. "$RL_TESTS/integration/daemon_lib.sh"

rl_broker_start b --partitions 1 --topics events
bs=$(rl_bootstrap b)
rl_gen_stream 50 3 >"$RL_WORK/good.svm"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/good.svm" 2>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
# Not protobuf at all, with an application header that must survive.
printf 'this is not an event\n' | rl_kcat b -P -t events -H origin=test-suite || rl_fail "kcat -P"
# Valid Events with a label outside the binary domain (label 7).
printf '7 1:0.5 2:0.25\n' >"$RL_WORK/bad.svm"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/bad.svm" 2>>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/good.svm" 2>>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"

rl_daemon_config a b
rl_daemon_start a
rl_wait_metric a model_events 100 60
rl_wait_metric a 'events_total{outcome="dead_lettered"}' 2 10
rl_wait_metric a 'bad_events_total{reason="undecodable"}' 1 5
rl_wait_metric a 'bad_events_total{reason="label_out_of_domain"}' 1 5
rl_wait_metric a 'dead_letter_total{result="delivered"}' 2 20
grep -q 'msg="bad event dead-lettered".*offset=50 reason=undecodable' "$RL_WORK/a.log" ||
    rl_fail "bad event not logged with its offset and reason"
rl_daemon_stop a

# Dead letters are keyed by the original key (none here), so they may sit on any partition of
# the dead-letter topic: find each by its reason, not by its position.
rl_kcat b -C -q -t relearn-dead-letter -o beginning -e -f '%h\n' >"$RL_WORK/dlq-headers.txt" ||
    rl_fail "kcat could not read the dead-letter topic"
rl_assert_eq "dead letters" 2 "$(grep -c relearn-reason= "$RL_WORK/dlq-headers.txt")"
l1=$(grep 'relearn-reason=undecodable' "$RL_WORK/dlq-headers.txt")
for h in origin=test-suite relearn-topic=events relearn-partition=0 relearn-offset=50 \
    relearn-instance=a relearn-detail=; do
    echo "$l1" | grep -q "$h" || rl_fail "undecodable dead letter lacks header $h: $l1"
done
l2=$(grep 'relearn-reason=label_out_of_domain' "$RL_WORK/dlq-headers.txt")
echo "$l2" | grep -q 'relearn-offset=51' || rl_fail "label dead letter offset: $l2"
# The original bytes, unchanged.
rl_kcat b -C -q -t relearn-dead-letter -o beginning -e -f '%s\n' | grep -qx 'this is not an event' ||
    rl_fail "original bytes of the undecodable event not kept"
rl_log "ok"

# daemon_json.sh - relearnd reads a JSON topic beside an Event topic ([input] topic_formats):
# `relearn produce --as json` writes a CSV table with a text column as one JSON object per
# message, relearnd learns it with the default mapping (the same feature names as the CSV
# reader's: "city=paris", "age"), and every JSON message it cannot use is dead-lettered with its
# reason and counted, while the Event topic goes on as before.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_json
. "$RL_TESTS/integration/daemon_lib.sh"

rl_broker_start b --partitions 1 --topics events,clicks
bs=$(rl_bootstrap b)
rl_gen_stream 50 3 >"$RL_WORK/good.svm"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/good.svm" 2>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
awk 'BEGIN { srand(5); print "city,age,churned"
    for (i = 0; i < 60; i++) { c = i % 3 == 0 ? "paris" : "lyon"
        printf "%s,%d,%s\n", c, 20 + i, c == "paris" ? "yes" : "no" } }' >"$RL_WORK/t.csv"
"$RELEARN" produce --as json --label-col churned --brokers "$bs" --topic clicks "$RL_WORK/t.csv" \
    2>>"$RL_WORK/produce.log" || rl_fail "produce --as json failed"
rl_kcat b -C -q -t clicks -o beginning -c 1 -e -f '%s\n' >"$RL_WORK/first.json"
grep -qx '{"label":1,"city":"paris","age":20}' "$RL_WORK/first.json" ||
    rl_fail "produce --as json wrote: $(cat "$RL_WORK/first.json")"
# Refused: not JSON, no label, an array of numbers, a label out of the binary domain.
for m in 'not json' '{"city": "oslo"}' '{"label": 1, "tags": [1, 2]}' '{"label": 3}'; do
    printf '%s\n' "$m" | rl_kcat b -P -t clicks || rl_fail "kcat -P"
done

rl_daemon_config a b "[input]" "topic_formats = clicks:json"
sed -i 's/^topics = events$/topics = events,clicks/' "$RL_WORK/a.ini"
rl_daemon_start a
rl_wait_metric a model_events 110 60
rl_wait_metric a 'events_total{outcome="dead_lettered"}' 4 10
rl_wait_metric a 'bad_events_total{reason="undecodable"}' 2 5
rl_wait_metric a 'bad_events_total{reason="missing_label"}' 1 5
rl_wait_metric a 'bad_events_total{reason="label_out_of_domain"}' 1 5
rl_wait_metric a 'dead_letter_total{result="delivered"}' 4 20
grep -q 'msg="bad event dead-lettered".*topic=clicks.*reason=missing_label' "$RL_WORK/a.log" ||
    rl_fail "the JSON message without a label was not logged with its reason"
rl_daemon_stop a
rl_kcat b -C -q -t relearn-dead-letter -o beginning -e -f '%s\n' | grep -qx 'not json' ||
    rl_fail "original bytes of the refused JSON message not kept"
# The JSON features were learned under the CSV reader's names.
ck=$(ls "$RL_WORK"/ckpt-a/*.rlck | tail -1)
"$RELEARN" inspect "$ck" >"$RL_WORK/inspect.txt" || rl_fail "inspect failed"
grep -q 'city=paris' "$RL_WORK/inspect.txt" || rl_fail "no city=paris in the model: $(cat "$RL_WORK/inspect.txt")"

# A format relearnd does not read is refused at start-up, naming it.
rl_daemon_config c b "[input]" "format = avro"
"$RELEARND" --config "$RL_WORK/c.ini" --check-config >/dev/null 2>"$RL_WORK/c.err" &&
    rl_fail "format = avro accepted"
grep -q 'format: unknown format' "$RL_WORK/c.err" || rl_fail "format message: $(cat "$RL_WORK/c.err")"
rl_log "ok"

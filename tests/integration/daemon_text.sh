# daemon_text.sh - relearnd reads topics of text lines, one VW / CSV line per message, through the
# same readers as relearn eval (input/reader.h, line mode): CSV messages carry no header, so
# [input] csv_header declares it, and csv_categorical & co. are relearn eval's column options. A line the reader refuses (a bad label, a wrong field count,
# two lines in one message) is dead-lettered as undecodable with the reader's reason, counted,
# and the stream goes on.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_text
. "$RL_TESTS/integration/daemon_lib.sh"

rl_broker_start b --partitions 1 --topics lv,lc
awk 'BEGIN { for (i = 0; i < 30; i++) printf "%d |f a b:%d |g c\n", i % 2, i % 5 }' >"$RL_WORK/l.vw"
printf 'maybe |f a\n' >>"$RL_WORK/l.vw"
rl_kcat b -P -t lv <"$RL_WORK/l.vw" || rl_fail "kcat -P lv"
awk 'BEGIN { for (i = 0; i < 30; i++) printf "%s,%d,%s\n", i % 3 ? "lyon" : "paris", 20 + i, i % 3 ? "no" : "yes" }' \
    >"$RL_WORK/l.csv"
printf 'lyon,44\n' >>"$RL_WORK/l.csv"
rl_kcat b -P -t lc <"$RL_WORK/l.csv" || rl_fail "kcat -P lc"
printf '1,2,yes\nparis,3,no' | rl_kcat b -P -t lc -D '|' || rl_fail "kcat -P two lines"

rl_daemon_config a b "[input]" "topic_formats = lv:vw,lc:csv" "csv_header = city,age,label" \
    "csv_categorical = age"
sed -i 's/^topics = events$/topics = lv,lc/' "$RL_WORK/a.ini"
rl_daemon_start a
rl_wait_metric a model_events 60 60
rl_wait_metric a 'bad_events_total{reason="undecodable"}' 3 10
rl_wait_metric a 'dead_letter_total{result="delivered"}' 3 20
grep -q 'msg="bad event dead-lettered".*topic=lc.*reason=undecodable.*2 fields, expected 3' \
    "$RL_WORK/a.log" || rl_fail "the short CSV line was not logged with the reader's reason"
grep -q 'msg="bad event dead-lettered".*topic=lc.*more than one line' "$RL_WORK/a.log" ||
    rl_fail "the two-line message was not refused as such"
rl_daemon_stop a
ck=$(ls "$RL_WORK"/ckpt-a/*.rlck | tail -1)
"$RELEARN" inspect --top 200 "$ck" >"$RL_WORK/inspect.txt" || rl_fail "inspect failed"
for n in 'city=paris' 'f^b' 'age=21'; do
    grep -qF "$n" "$RL_WORK/inspect.txt" || rl_fail "no $n in the model's names"
done

# csv without its header is refused at start-up
rl_daemon_config c b "[input]" "format = csv"
sed -i 's/^topics = events$/topics = lc/' "$RL_WORK/c.ini"
"$RELEARND" --config "$RL_WORK/c.ini" >"$RL_WORK/c.out" 2>&1 &&
    rl_fail "csv topics without csv_header started"
grep -q 'csv_header' "$RL_WORK/c.out" || rl_fail "csv without header: $(cat "$RL_WORK/c.out")"

# the CSV column options are checked when the file is read
rl_daemon_config e b "[input]" "format = csv" "csv_header = a,label" "csv_missing = maybe"
"$RELEARND" --config "$RL_WORK/e.ini" --check-config >"$RL_WORK/e.out" 2>&1 &&
    rl_fail "csv_missing = maybe accepted"
grep -q 'csv_missing: not skip, mean or indicator' "$RL_WORK/e.out" ||
    rl_fail "csv_missing message: $(cat "$RL_WORK/e.out")"
rl_log "ok"

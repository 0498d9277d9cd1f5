# broker_snapshots.sh - `relearn snapshots` lists and fetches what is on a snapshot topic.
# Snapshots are real ones (rl_snapshot_gen: storage/snapshot.h encoder and splitter) published
# with kcat and the headers relearnd uses (wire/kafka_headers.h), so this test needs no
# daemon: chunked and whole versions, two models, a message without headers (identified by its
# frame), a duplicate chunk, a version with a missing chunk, and a non-snapshot message.
. "$RL_TESTS/integration/lib.sh"
rl_init broker_snapshots
GEN="$RL_BUILD/tests/rl_snapshot_gen"
[ -x "$GEN" ] || rl_fail "no $GEN"

rl_broker_start b --partitions 2 --topics snaps
bs=$(rl_bootstrap b)

# gen NAME MODEL INSTANCE VERSION MAXMSG: writes $RL_WORK/NAME/{whole,chunk.*}; sets N, SIZE.
gen() {
    mkdir -p "$RL_WORK/$1"
    set -- $("$GEN" --model "$2" --instance "$3" --version "$4" --max-msg "$5" --dir "$RL_WORK/$1") ||
        rl_fail "rl_snapshot_gen failed"
    N=$1
    SIZE=$2
}

# pub NAME MODEL INSTANCE VERSION N SIZE [SKIP]: one message per chunk, keyed by model.
pub() {
    i=0
    while [ $i -lt "$5" ]; do
        if [ "$i" != "${7:-}" ]; then
            rl_kcat b -P -t snaps -k "$2" -H "relearn-model=$2" -H "relearn-version=$4" \
                -H "relearn-instance=$3" -H "relearn-chunk=$i/$5" -H "relearn-size=$6" \
                "$RL_WORK/$1/chunk.$i" || rl_fail "kcat -P chunk $i of $1"
        fi
        i=$((i + 1))
    done
}

gen v1 ctr host-a 1 2048
n1=$N size1=$SIZE
[ "$n1" -gt 2 ] || rl_fail "expected a chunked snapshot, got $n1 chunk(s)"
pub v1 ctr host-a 1 "$N" "$SIZE"
gen v2 ctr host-a 2 2048
n2=$N size2=$SIZE
pub v2 ctr host-a 2 "$N" "$SIZE"
# A duplicate of v2's first chunk (a retried publish) changes nothing.
rl_kcat b -P -t snaps -k ctr -H relearn-model=ctr -H relearn-version=2 -H relearn-instance=host-a \
    -H "relearn-chunk=0/$n2" -H "relearn-size=$size2" "$RL_WORK/v2/chunk.0"
gen v3 ctr host-a 3 2048
n3=$N size3=$SIZE
pub v3 ctr host-a 3 "$N" "$SIZE" 1 # chunk 1 never arrives
gen o1 other host-b 1 0
rl_assert_eq "chunks of a small snapshot" 1 "$N"
osize=$SIZE
pub o1 other host-b 1 1 "$SIZE"
# No headers at all: identified from the frame.
gen bare1 bare host-c 1 0
bsize=$SIZE
rl_kcat b -P -t snaps -k bare "$RL_WORK/bare1/whole" || rl_fail "kcat -P bare"
echo "not a snapshot" | rl_kcat b -P -t snaps -k junk || rl_fail "kcat -P junk"

timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic snaps >"$RL_WORK/list.txt" 2>"$RL_WORK/list.log"
st=$?
cat "$RL_WORK/list.txt" >&2
rl_assert_eq "snapshots exit status" 0 $st
grep -q "skipped" "$RL_WORK/list.log" || rl_fail "the non-snapshot message was not reported"
cut -d' ' -f1-5 "$RL_WORK/list.txt" >"$RL_WORK/cols.txt"
cat >"$RL_WORK/want.txt" <<END
1 bare host-c $bsize 1/1
1 ctr host-a $size1 $n1/$n1
2 ctr host-a $size2 $n2/$n2
3 ctr host-a $size3 $((n3 - 1))/$n3
1 other host-b $osize 1/1
END
diff "$RL_WORK/want.txt" "$RL_WORK/cols.txt" || rl_fail "listing differs"
# Time and position columns are well formed.
awk '$6 !~ /^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-9:.]+Z$/ || $7 !~ /^[0-9]+:[0-9]+$/ { exit 1 }' \
    "$RL_WORK/list.txt" || rl_fail "bad time or partition:offset column"

# --json: the same listing for scripts; version 3 of ctr is the incomplete one.
timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic snaps --json >"$RL_WORK/list.json" 2>/dev/null ||
    rl_fail "snapshots --json failed"
rl_assert_eq "--json entries" 5 "$(grep -c '"version":' "$RL_WORK/list.json")"
rl_assert_eq "--json incomplete entries" 1 "$(grep -c '"complete": false' "$RL_WORK/list.json")"
if command -v python3 >/dev/null 2>&1; then
    python3 - "$RL_WORK/list.json" "$size3" "$n3" <<'END' || rl_fail "snapshots --json content"
import json, sys
v = json.load(open(sys.argv[1]))
got = [(e["model"], e["instance"], e["version"]) for e in v]
assert got == [("bare", "host-c", 1), ("ctr", "host-a", 1), ("ctr", "host-a", 2),
               ("ctr", "host-a", 3), ("other", "host-b", 1)], got
e = v[3]
assert e["bytes"] == int(sys.argv[2]) and e["chunks"] == int(sys.argv[3]), e
assert e["chunks_seen"] == e["chunks"] - 1 and not e["complete"], e
assert all(x["time"].endswith("Z") and x["partition"] >= 0 for x in v), v
END
fi
timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic snaps --json --get 1 -o "$RL_WORK/x" 2>/dev/null
rl_assert_eq "--json with --get is a usage error" 2 $?

rl_assert_eq "--model filter" 3 "$(timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic snaps \
    --model ctr 2>/dev/null | wc -l | tr -d ' ')"

# --get: reassembled bytes equal the snapshot that was cut.
timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic snaps --model ctr --get 2 \
    -o "$RL_WORK/got2" 2>"$RL_WORK/get2.log" || rl_fail "--get 2: $(cat "$RL_WORK/get2.log")"
cmp "$RL_WORK/v2/whole" "$RL_WORK/got2" || rl_fail "--get 2 bytes differ"
timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic snaps --model bare --get 1 \
    -o "$RL_WORK/gotb" 2>/dev/null || rl_fail "--get 1 of a headerless snapshot"
cmp "$RL_WORK/bare1/whole" "$RL_WORK/gotb" || rl_fail "--get bare bytes differ"
[ "$(stat -c %a "$RL_WORK/got2")" = 600 ] || rl_fail "fetched snapshot is not mode 0600"

# Ambiguous, incomplete and missing versions fail with a reason.
timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic snaps --get 1 -o "$RL_WORK/x" 2>"$RL_WORK/amb.log"
rl_assert_eq "exit status for an ambiguous version" 1 $?
grep -q "more than one model" "$RL_WORK/amb.log" || rl_fail "ambiguity not explained"
timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic snaps --model ctr --get 3 -o "$RL_WORK/x" 2>"$RL_WORK/inc.log"
rl_assert_eq "exit status for an incomplete version" 1 $?
grep -q "$((n3 - 1)) of $n3 chunks" "$RL_WORK/inc.log" || rl_fail "incomplete version not explained"
timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic snaps --model ctr --get 9 -o "$RL_WORK/x" 2>/dev/null
rl_assert_eq "exit status for a missing version" 1 $?
[ ! -e "$RL_WORK/x" ] || rl_fail "a failed --get left a file"

# An empty topic lists nothing and succeeds. (The mock broker auto-creates any topic a client
# asks metadata for, so "no such topic" cannot be tested against it.)
rl_topic_create b empty 3
timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic empty --timeout 10 >"$RL_WORK/empty.txt" ||
    rl_fail "listing an empty topic failed"
rl_assert_eq "lines for an empty topic" 0 "$(wc -l <"$RL_WORK/empty.txt" | tr -d ' ')"

rl_broker_stop b
rl_log ok

#!/bin/sh
# relearn inspect / diff / verify on small files: fresh checkpoints and snapshots written by
# rl_make_fuzz_corpus (every kind: plain, zstd, dictionary, softmax, chunks, broken ones) and
# two `relearn eval --save` checkpoints of the same data (diff between them).
set -eu
: "${RL_BUILD:?}" "${RL_SRC:?}"
R="$RL_BUILD/cli/relearn"
work=$(mktemp -d /tmp/rl_ckpt_cli.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
fails=0
pass=0
check() { # description, then a command that must succeed
    d=$1
    shift
    if "$@"; then pass=$((pass + 1)); else echo "FAIL: $d" >&2; fails=$((fails + 1)); fi
}
has() { grep -q -- "$2" "$1"; }

"$RL_BUILD/tests/rl_make_fuzz_corpus" "$work/c"
C="$work/c/ckpt"
S="$work/c/snapshot"

# verify: all good files -> 0, one line each on stdout
"$R" verify "$C"/valid_* "$S"/valid_* >"$work/v.out" 2>"$work/v.err"
check "verify valid exits 0" test $? -eq 0
n_valid=$(ls "$C"/valid_* "$S"/valid_* | wc -l)
check "verify prints one OK per file" test "$(grep -c ': OK (' "$work/v.out")" -eq "$n_valid"
check "verify names the zero-run coding" has "$work/v.out" "valid_sgd_zero_runs: OK (checkpoint .*, zero runs)"
check "verify names zero runs + zstd" has "$work/v.out" "valid_ftrl_zero_runs_zstd: OK (.*, zero runs + zstd)"
# a broken one among them -> 1, the reason names the path
set +e
"$R" verify "$C"/valid_sgd_ddm "$C"/broken_bitflip "$S"/broken_truncated >"$work/v2.out" 2>"$work/v2.err"
rc=$?
set -e
check "verify with broken exits 1" test $rc -eq 1
check "verify names the bit-flipped file" has "$work/v2.err" "broken_bitflip: checksum mismatch"
check "verify names the truncated file" has "$work/v2.err" "broken_truncated: truncated"
check "verify still reports the good file" has "$work/v2.out" "valid_sgd_ddm: OK"
set +e
"$R" verify >/dev/null 2>&1
check "verify without files is a usage error" test $? -eq 2
"$R" verify "$work/missing.rlck" 2>"$work/v3.err"
check "verify of a missing file exits 1" test $? -eq 1
set -e
check "missing file is named" has "$work/v3.err" "missing.rlck"

# inspect: checkpoint text
"$R" inspect "$C/valid_sgd_ddm" --top 5 >"$work/i.out"
check "inspect shows kind" has "$work/i.out" "kind:             checkpoint (RLCK container v1"
check "inspect shows events" has "$work/i.out" "events seen:      300"
check "inspect shows drift" has "$work/i.out" "drift:            ddm (response challenger)"
check "inspect shows offsets" has "$work/i.out" "events/1 next offset 4"
check "inspect shows learner" has "$work/i.out" "learner:          sgd (2^10 hashed slots, seed 42"
check "inspect shows sparsity" has "$work/i.out" "slot weights non-zero"
check "inspect shows 5 top weights" test "$(grep -c '^ *[1-5]  slot ' "$work/i.out")" -eq 5
# snapshot, JSON
"$R" inspect "$S/valid_softmax" --json --top 3 >"$work/j.out"
check "inspect json kind" has "$work/j.out" '"kind": "snapshot"'
check "inspect json version" has "$work/j.out" '"version": 4'
check "inspect json rows" has "$work/j.out" '"rows": 3'
check "inspect json class labels" has "$work/j.out" '"feature": "class '
check "inspect json metrics" has "$work/j.out" '"task": "multiclass"'
if command -v python3 >/dev/null 2>&1; then
    check "inspect json parses" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['top_weights'])==3" "$work/j.out"
fi
# a zero-run coded checkpoint reads as the plain one did: same report but for the coding line
"$R" inspect "$C/valid_sgd_zero_runs" --json >"$work/jz.out"
check "inspect json zero runs" has "$work/jz.out" '"zero_runs": true'
"$R" inspect "$C/valid_sgd_zero_runs" | grep -v '^kind:\|^file:\|^checksum:' >"$work/iz.out"
"$R" inspect "$C/valid_sgd_ddm" | grep -v '^kind:\|^file:\|^checksum:' >"$work/ip.out"
check "zero runs inspect like plain" cmp -s "$work/iz.out" "$work/ip.out"
# a snapshot with a dictionary shows how many names it knows
"$R" inspect "$S/valid_sgd" >"$work/i2.out"
check "inspect dictionary" has "$work/i2.out" "dictionary:       2 feature names known"
set +e
"$R" inspect "$S/valid_chunk_first" 2>"$work/i3.err"
check "inspect of a chunk exits 1" test $? -eq 1
"$R" inspect "$C/broken_truncated" 2>"$work/i4.err"
check "inspect of a broken file exits 1" test $? -eq 1
"$R" inspect --top x "$C/valid_sgd_ddm" 2>/dev/null
check "inspect bad --top is a usage error" test $? -eq 2
set -e
check "chunk explained" has "$work/i3.err" "holds no model by itself"
check "broken reason" has "$work/i4.err" "broken_truncated: truncated"

# diff: the snapshot and the checkpoint of the same model: nothing changed
"$R" diff "$S/valid_sgd" "$C/valid_sgd_ddm" >"$work/d.out"
check "diff same model: 0 changed" has "$work/d.out" "changed weights:       0 "
check "diff same model: cosine 1" has "$work/d.out" "cosine similarity:     1$"
# a model with 20000 weights set, compared with itself: cosine exactly 1 (float sums said
# 0.99999988), in the table and in JSON
awk 'BEGIN { srand(5); for (i = 0; i < 3000; i++) { printf "%d", i % 2;
    for (f = 1; f <= 30; f++) printf " %d:%.6f", int(rand() * 20000) + 1, rand(); printf "\n" } }' >"$work/cos.svm"
"$R" eval --bits 16 --progress 0 --save "$work/cos.rlck" "$work/cos.svm" >/dev/null
"$R" diff "$work/cos.rlck" "$work/cos.rlck" >"$work/cos.out"
check "diff identical models: cosine exactly 1" has "$work/cos.out" "cosine similarity:     1$"
"$R" diff "$work/cos.rlck" "$work/cos.rlck" --json >"$work/cos.json"
check "diff identical models: JSON cosine 1.0" has "$work/cos.json" '"cosine_similarity": 1.0,'
# two eval runs on different data sizes: weights changed
data=/usr/share/doc/liblinear-tools/examples/heart_scale
if [ -f "$data" ]; then
    head -n 100 "$data" >"$work/part.svm"
    "$R" eval --bits 10 --progress 0 --save "$work/a.rlck" "$work/part.svm" >/dev/null
    "$R" eval --bits 10 --progress 0 --save "$work/b.rlck" "$data" >/dev/null
    "$R" diff "$work/a.rlck" "$work/b.rlck" --top 4 >"$work/d2.out"
    check "diff table header" has "$work/d2.out" "feature                                  |        original |       retrained |      difference"
    check "diff four rows" test "$(grep -c '^slot [0-9]* *|\|^bias *|' "$work/d2.out")" -eq 4
    check "diff changed > 0" grep -q "changed weights:       [1-9]" "$work/d2.out"
    "$R" diff "$work/a.rlck" "$work/b.rlck" --json >"$work/d3.out"
    check "diff json l2" has "$work/d3.out" '"l2_norm_difference": '
    check "diff json cosine" has "$work/d3.out" '"cosine_similarity": '
    "$R" verify "$work/a.rlck" >"$work/v4.out"
    check "eval checkpoint verifies" has "$work/v4.out" "a.rlck: OK (checkpoint"
    check "eval checkpoint is 0600" test "$(stat -c %a "$work/a.rlck")" = 600
fi
set +e
"$R" diff "$S/valid_softmax" "$C/valid_sgd_ddm" 2>"$work/d4.err"
check "diff of different shapes exits 1" test $? -eq 1
"$R" diff "$S/valid_sgd" 2>/dev/null
check "diff with one file is a usage error" test $? -eq 2
set -e
check "shape mismatch explained" has "$work/d4.err" "different shapes"

# What a snapshot scores with (docs/FORMAT.md "Scoring"), on the committed test vectors.
V="$(dirname "$0")/vectors"
"$R" inspect "$V/sgd.rlsn" >"$work/i1.out"
check "inspect counts the clip scales" has "$work/i1.out" "scoring: *17 clip scales, score scale 1$"
"$R" inspect "$V/pegasos.rlsn" >"$work/i2.out"
check "inspect shows the score scale" has "$work/i2.out" "scoring: *no clip scales, score scale 0.0025"
"$R" inspect --json "$V/sgd.rlsn" >"$work/i3.out"
check "inspect json has the clip scales" has "$work/i3.out" '"clip_scales": 17'

echo "ckpt_cli: $pass passed, $fails failed"
[ "$fails" -eq 0 ]

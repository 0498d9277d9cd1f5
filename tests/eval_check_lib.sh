# eval_check_lib.sh - sourced by the scripts that check `relearn eval` end to end
# (eval_cli.sh, drift_streams.sh): a scratch directory removed on exit, the pass/fail tally,
# and a reader for the rows of eval's final table.
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# field NAME FILE: the value column of a row of the final table ("events   270").
field() { awk -v k="$1" 'substr($0, 1, 19) ~ "^" k " *$" { print substr($0, 20) }' "$2"; }

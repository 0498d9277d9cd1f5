# rel_soak.sh - the soak (bench/soak.sh) as a reliability test: every event learned exactly
# once, no fd growth, and (long version only) RSS flat within 5% after warm-up. Short: 1 million
# events in 4 waves (RSS reported, not judged: such a run is mostly warm-up); RL_LONG=1: the
# issue's 10 million. The figures in BENCHMARKS.md come from running bench/soak.sh directly.
if [ "${RL_LONG:-0}" = 1 ]; then
    EVENTS=10000000 WAVE=1000000 SAMPLE=1 CHECK_RSS=1 sh "$RL_SRC/bench/soak.sh" "$RL_BUILD"
else
    EVENTS=1000000 WAVE=250000 SAMPLE=0.5 CHECK_RSS=0 sh "$RL_SRC/bench/soak.sh" "$RL_BUILD"
fi

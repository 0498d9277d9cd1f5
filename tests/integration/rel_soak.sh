# rel_soak.sh - the soak (bench/soak.sh) as a reliability test: every event learned exactly
# once, no fd growth, and (long version only) peak RSS flat within 5% after warm-up.
# Short: 1 million events in 4 waves, sampled every 0.1 s (alone on the machine they take ~2 s);
# RSS is reported, not judged, since such a run is mostly warm-up. RL_LONG=1: 50 million
# (RL_SOAK_EVENTS), since 10 million take 25 s here, too short for RSS to settle.
if [ "${RL_LONG:-0}" = 1 ]; then
    EVENTS=${RL_SOAK_EVENTS:-50000000} WAVE=1000000 SAMPLE=1 CHECK_RSS=1 sh "$RL_SRC/bench/soak.sh" "$RL_BUILD"
else
    EVENTS=1000000 WAVE=250000 SAMPLE=0.1 CHECK_RSS=0 sh "$RL_SRC/bench/soak.sh" "$RL_BUILD"
fi

#!/bin/sh
# install: `cmake --install` (what `make install PREFIX=... DESTDIR=...` runs) puts the commands,
# librelearn (shared and static), its header, relearn.pc and the example configs under
# DESTDIR/PREFIX; a program compiled with nothing but pkg-config's flags links against it both
# ways and scores a snapshot exactly as relearn_score does.
set -eu
. "$RL_TESTS/integration/lib.sh"
rl_init install
D="$RL_WORK/dest"
P=/usr/local
DESTDIR="$D" cmake --install "$RL_BUILD" --prefix "$P" >"$RL_WORK/install.log"
for f in bin/relearn bin/relearnd include/relearn.h lib/librelearn.so lib/librelearn.a \
    lib/pkgconfig/relearn.pc share/relearn/examples/sgd.ini; do
    [ -e "$D$P/$f" ] || rl_fail "not installed: $P/$f"
done
"$D$P/bin/relearn" --help >/dev/null || rl_fail "installed relearn does not run"

cat >"$RL_WORK/tiny.c" <<'CEOF'
#include <stdio.h>
#include <relearn.h>
int main(int argc, char **argv)
{
    char err[256];
    relearn_model *m = NULL;
    relearn_info info;
    relearn_feature f[2] = {{"f1", 2, 0, 1.5f}, {NULL, 0, 77, 2.0f}};
    relearn_event ev = {f, 2, NULL, 0};
    relearn_prediction p;
    if (argc != 2 || relearn_model_open_file(argv[1], &m, err, sizeof(err)) != RELEARN_OK) {
        fprintf(stderr, "tiny: %s\n", err);
        return 1;
    }
    relearn_model_info(m, &info);
    if (relearn_predict(m, &ev, &p, NULL) != RELEARN_OK)
        return 1;
    printf("%s %llu %s %.17g\n", info.model_name, (unsigned long long)info.version, info.learner,
           p.output);
    relearn_model_release(m);
    return 0;
}
CEOF
PKG_CONFIG_PATH="$D$P/lib/pkgconfig"
export PKG_CONFIG_PATH
cc -o "$RL_WORK/tiny" "$RL_WORK/tiny.c" $(pkg-config --cflags --libs relearn) ||
    rl_fail "cannot build against the shared library with pkg-config's flags"
LIBDIR=$(pkg-config --variable=libdir relearn)
# Static librelearn over the shared system libraries it requires (a fully static link would
# also need the static archives of librdkafka's own compression libraries).
cc -o "$RL_WORK/tiny_static" "$RL_WORK/tiny.c" $(pkg-config --cflags relearn) "$LIBDIR/librelearn.a" \
    $(pkg-config --libs $(pkg-config --print-requires-private relearn)) -lm -lpthread ||
    rl_fail "cannot build against the static library with pkg-config's flags"
nm -D "$D$P/lib/librelearn.so" | awk '$2 == "T" && $3 !~ /^relearn_/ { bad = 1; print }
    END { exit bad }' || rl_fail "librelearn.so exports symbols beyond relearn_*"

"$RL_BUILD/tests/rl_snapshot_gen" --model m1 --instance i --version 4 --max-msg 900000 \
    --dir "$RL_WORK" >/dev/null
a=$(LD_LIBRARY_PATH="$LIBDIR" "$RL_WORK/tiny" "$RL_WORK/whole")
b=$("$RL_WORK/tiny_static" "$RL_WORK/whole")
rl_assert_eq "shared vs static" "$a" "$b"
case $a in "m1 4 sgd "*) ;; *) rl_fail "tiny printed: $a" ;; esac
rl_log "ok: $a"

#!/usr/bin/python3
"""python_snapshot.py - the Python reader on a snapshot relearnd published (python_snapshot.sh).

  stream N SEED            a VW stream with namespaces, categories and many ids, to stdout
  fetch DUMP OUT           the newest snapshot among the messages of a kcat dump
                           (-f '%S\\n%s\\n': size line, then the value), reassembled from its
                           chunks by relearn_snapshot.assemble, written to OUT
  probes OUT               probe events (docs/FORMAT.md vector schema): the stream's features, values
                           far beyond their training range (up to 1e18), unseen names
  check SNAPSHOT SCORED    the Python prediction of every event of SCORED (the C predictor's
                           output, rl_snapshot_score) must equal the C one bit for bit
"""
import json
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import relearn_snapshot as rs  # noqa: E402

CITIES = ["Oslo", "Paris", "Lima", "Pune", "Kyiv", "Cork"]


def stream(n, seed):
    r = random.Random(seed)
    for _ in range(n):
        age = r.uniform(18, 80)
        price = r.uniform(1, 1000)
        city = r.choice(CITIES)
        ident = r.randrange(3000)
        z = 0.04 * (age - 45) - 0.002 * (price - 500) + (0.8 if city in ("Oslo", "Lima") else -0.4)
        z += 0.5 if ident % 7 == 0 else 0
        y = 1 if z + r.gauss(0, 0.5) > 0 else -1
        print("%d |user age:%.3f city=%s |item price:%.2f id=%d" % (y, age, city, price, ident))


def fetch(dump, out):
    data = open(dump, "rb").read()
    msgs, pos = [], 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        size = int(data[pos:nl])
        msgs.append(data[nl + 1:nl + 1 + size])
        pos = nl + 1 + size + 1
    snap = rs.assemble(msgs)
    chunks = sum(1 for m in msgs if m[:4] == b"RLSC")
    with open(out, "wb") as f:
        f.write(snap.framed)
    print("fetched %d messages (%d chunks): %s version %d, format %d, %d bytes" % (
        len(msgs), chunks, snap.model_name, snap.version, snap.format_version, len(snap.framed)))


def f32hex(x):
    return struct.pack(">f", x).hex()


def probes(out):
    r = random.Random(7)
    extreme = [1e18, -1e18, 3.5e17, 1e9, -2e5, 1e-30, 0.0]
    evs = []
    for i in range(400):
        feats = []
        for _ in range(r.randrange(0, 7)):
            kind = r.random()
            if kind < 0.25:
                name, v = "user^age", r.uniform(18, 80)
            elif kind < 0.4:
                name, v = "item^price", r.uniform(1, 1000)
            elif kind < 0.6:
                name, v = "user^city=" + r.choice(CITIES + ["Nowhere"]), 1.0
            elif kind < 0.85:
                name, v = "item^id=%d" % r.randrange(3500), 1.0
            else:
                name, v = "unseen-%d" % r.randrange(100), r.uniform(-3, 3)
            if r.random() < 0.3:
                v = r.choice(extreme)
            feats.append({"name_hex": name.encode().hex(), "value": f32hex(v)})
        evs.append({"features": feats})
    json.dump(evs, open(out, "w"), indent=1)


def check(snapshot, scored):
    snap = rs.load(snapshot)
    evs = json.load(open(scored))
    bad = 0
    for i, e in enumerate(evs):
        feats = [(bytes.fromhex(f["name_hex"]), struct.unpack(">f", bytes.fromhex(f["value"]))[0])
                 for f in e["features"]]
        p = snap.predict(feats)
        got = (struct.pack(">d", p.score).hex(), struct.pack(">d", p.value).hex(),
               None if p.prob is None else struct.pack(">d", p.prob).hex(), p.cls)
        want = (e["score"], e["value"], e["prob"], e["cls"])
        slots = [snap.slot(f[0]) for f in feats]
        if got != want or slots != [f["slot"] for f in e["features"]]:
            bad += 1
            print("event %d: python %s, C %s" % (i, got, want))
    print("%d events, %d differ (snapshot %s version %d, learner %s, clip scales %s)" % (
        len(evs), bad, snap.model_name, snap.version, snap.learner, bool(snap.scales)))
    return 1 if bad or not evs else 0


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "stream":
        stream(int(sys.argv[2]), int(sys.argv[3]))
    elif cmd == "fetch":
        fetch(sys.argv[2], sys.argv[3])
    elif cmd == "probes":
        probes(sys.argv[2])
    elif cmd == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)

#!/usr/bin/python3
"""python_vectors.py - python/relearn_snapshot.py against the C code's test vectors.

Every expected output in tests/vectors/ was computed by the C library (rl_vector_gen); the
Python reader, written from docs/FORMAT.md, must reproduce each one bit for bit: score, value,
prob, cls and softmax's class probabilities, the slot of every name and index, and the chunked
snapshot must reassemble to the whole one byte for byte. Usage: python_vectors.py VECTORS_DIR
"""
import glob
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import relearn_snapshot as rs  # noqa: E402


def f32(h):
    return struct.unpack("<f", bytes.fromhex(h)[::-1])[0]


def bits64(x):
    return struct.pack(">d", x).hex()


def feature(f):
    return (bytes.fromhex(f["name_hex"]), f32(f["value"])) if "name_hex" in f \
        else (int(f["index"]), f32(f["value"]))


def reframe(payload):
    """payload in an uncompressed RLSN frame with a correct checksum."""
    head = b"RLSN" + struct.pack("<HHQQ", 1, 0, len(payload), len(payload))
    return head + payload + struct.pack("<Q", rs.xxhash.xxh3_64_intdigest(head + payload, seed=0))


def refusals(d, expect):
    """What a reader must refuse (docs/FORMAT.md section 9) is refused, with the right error."""
    good = open(os.path.join(d, "ftrl.rlsn"), "rb").read()

    def verdict(data):
        try:
            rs.Snapshot(data)
            return "accepted"
        except rs.NewerVersionError:
            return "newer"
        except rs.FormatError:
            return "refused"

    expect("a good snapshot", verdict(good), "accepted")
    flipped = bytearray(good)
    flipped[30] ^= 1
    expect("a flipped bit", verdict(bytes(flipped)), "refused")
    expect("a truncated frame", verdict(good[:-1]), "refused")
    expect("trailing bytes", verdict(good + b"\0"), "refused")
    newer = bytearray(good)
    newer[4] = 2
    newer[-8:] = struct.pack("<Q", rs.xxhash.xxh3_64_intdigest(bytes(newer[:-8]), seed=0))
    expect("container version 2", verdict(bytes(newer)), "newer")
    m = rs._messages().Snapshot()
    m.ParseFromString(rs.decode_frame(good, b"RLSN"))
    expect("re-framed", verdict(reframe(m.SerializeToString())), "accepted")
    m.format_version = 4
    expect("format version 4", verdict(reframe(m.SerializeToString())), "newer")
    m.format_version = 2
    m.learner.interactions = "ab"
    expect("a format-3 field in format 2", verdict(reframe(m.SerializeToString())), "refused")
    m.learner.ClearField("interactions")
    m.format_version = 1
    m.learner.learner = "gbdt"
    expect("an unknown learner", verdict(reframe(m.SerializeToString())), "newer")
    m.learner.learner = "ftrl"
    m.rows[0].score_scale = 2.0
    expect("a format-2 field in format 1", verdict(reframe(m.SerializeToString())), "refused")


def command_line(d, expect):
    """relearn_snapshot.py --predict on JSON instances gives the vectors' scores too."""
    import subprocess
    v = json.load(open(os.path.join(d, "sgd.json")))
    lines, want = [], []
    for e in v["events"]:
        names = [bytes.fromhex(f.get("name_hex", "")) for f in e["features"]]
        if any("index" in f for f in e["features"]) or len(set(names)) < len(names) or \
                any(not n.isascii() for n in names):
            continue  # a JSON object holds each (text) name once
        obj = {"features": {n.decode(): f32(f["value"]) for n, f in zip(names, e["features"])}}
        if "dense" in e:
            obj["dense"] = [f32(x) for x in e["dense"]]
        lines.append(json.dumps(obj))
        want.append(e["score"])
    out = subprocess.run([sys.executable, rs.__file__, "--predict", os.path.join(d, "sgd.rlsn")],
                         input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    got = [bits64(json.loads(line)["score"]) for line in out.stdout.splitlines()]
    expect("--predict scores (%d events)" % len(want), got if want else "no events", want)


def main(d):
    failures = checked = 0

    def expect(what, got, want):
        nonlocal failures, checked
        checked += 1
        if got != want:
            failures += 1
            print("MISMATCH %s: python %s, C %s" % (what, got, want))

    models = sorted(glob.glob(os.path.join(d, "*.json")))
    for path in models:
        name = os.path.basename(path)[:-5]
        if name in ("hash", "text"):
            continue
        v = json.load(open(path))
        snap = rs.load(os.path.join(d, v["snapshot"]))
        expect(name + " format_version", snap.format_version, v["format_version"])
        if "chunks" in v:
            whole = open(os.path.join(d, v["snapshot"]), "rb").read()
            parts = [open(os.path.join(d, c), "rb").read() for c in v["chunks"]]
            again = rs.assemble(parts + parts[:1])  # any order, a duplicate
            expect(name + " chunks", again.header(), snap.header())
            expect(name + " chunks rows", again.rows, snap.rows)
            try:
                rs.assemble(parts[1:])
                expect(name + " incomplete chunks refused", "accepted", "refused")
            except rs.FormatError:
                expect(name + " incomplete chunks refused", "refused", "refused")
            del whole
        for i, e in enumerate(v["events"]):
            feats = [feature(f) for f in e["features"]]
            for f, (fid, _) in zip(e["features"], feats):
                expect("%s event %d slot" % (name, i), snap.slot(fid), f["slot"])
            dense = [f32(x) for x in e["dense"]] if "dense" in e else None
            p = snap.predict(feats, dense)
            what = "%s event %d" % (name, i)
            expect(what + " score", bits64(p.score), e["score"])
            expect(what + " value", bits64(p.value), e["value"])
            expect(what + " prob", None if p.prob is None else bits64(p.prob), e["prob"])
            expect(what + " cls", p.cls, e["cls"])
            if "probs" in e:
                expect(what + " probs", [bits64(x) for x in p.probs], e["probs"])
    refusals(d, expect)
    command_line(d, expect)
    for h in json.load(open(os.path.join(d, "hash.json"))):
        got = rs.hash_name(bytes.fromhex(h["name_hex"]), h["bits"], h["seed"]) \
            if "name_hex" in h else rs.hash_index(int(h["index"]), h["bits"], h["seed"])
        expect("hash %s" % h, got, h["slot"])
    for t in json.load(open(os.path.join(d, "text.json"))):
        for rec in t["records"]:
            for fname, slot, _ in rec["features"]:
                got = rs.hash_index(int(fname), t["bits"], t["seed"]) \
                    if t["format"] == "libsvm" else rs.hash_name(fname, t["bits"], t["seed"])
                expect("%s feature %s" % (t["format"], fname), got, slot)
    print("python_vectors: %d checks, %d mismatches, %d model files" %
          (checked, failures, len(models) - 2))
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

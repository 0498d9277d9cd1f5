#!/usr/bin/python3
"""relearn_snapshot - read a relearn model snapshot and score events with it, in Python.

Written from docs/FORMAT.md alone (it is the proof that the spec is enough): the frame (XXH3-64,
zstd, zero runs), chunk reassembly, the Snapshot message, feature hashing, the scoring function
and the output of every learner. Dependencies: Debian's python3-protobuf, python3-xxhash,
python3-zstandard, and protoc (protobuf-compiler) to generate the message classes from
proto/*.proto on first use (or put snapshot_pb2 / checkpoint_pb2 on sys.path yourself).

    import relearn_snapshot as rs
    snap = rs.load("model.rlsn")                 # a file: a whole snapshot, or chunk files
    snap = rs.assemble([msg1, msg2, ...])        # the topic's message values (chunks in any order)
    p = snap.predict([("geo^city=Paris", 1.0), (17, 0.5)], dense=[0.1, 2.0])
    p.score, p.value, p.prob, p.cls, p.probs     # bit for bit what relearn's model predicted

Features are (name, value) with name a str (UTF-8) or bytes, or (index, value) with an int
index; values are floats (rounded to float32, as relearn stores them).

Command line:
    relearn_snapshot.py SNAPSHOT [CHUNK...]             the snapshot's header, as JSON
    relearn_snapshot.py --predict SNAPSHOT [CHUNK...]   reads JSON lines from stdin, each an
        object {"name": value, ...} (names exactly as the readers build them, e.g. "user^age"
        or "city=Oslo"; a string value is the category "name=value", value 1) or
        {"features": ..., "dense": [...]}, and prints one JSON prediction per line
"""
import importlib
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import xxhash
import zstandard

__all__ = ["FormatError", "Snapshot", "Prediction", "load", "assemble", "decode_frame",
           "hash_name", "hash_index"]

FRAME_VERSION = 1
SNAPSHOT_FORMAT_MAX = 3
CHUNK_FORMAT_MAX = 1
FLAG_ZSTD = 1
FLAG_ZERO_RUNS = 2
HEADER_LEN = 24
TRAILER_LEN = 8
SCORE_CLAMP = 50.0
LEARNERS = ("sgd", "ogd", "ftrl", "perceptron", "avg_perceptron", "softmax")
FNV = 16777619  # the interaction hash's multiplier (docs/FORMAT.md section 6)
VALUE_MAX = 999999984306749440.0  # f32(1e18): the largest feature value (section 5)
LOSSES = ("logistic", "hinge", "squared", "poisson")


class FormatError(ValueError):
    """The input is not a snapshot this reader can score exactly (the message says why)."""


class NewerVersionError(FormatError):
    """Written by a newer relearn: refused, never guessed at."""


# ---- message classes, generated from proto/ by protoc on first use ----
_pb = None


def _messages():
    global _pb
    if _pb is not None:
        return _pb
    try:
        _pb = importlib.import_module("snapshot_pb2")
        return _pb
    except ImportError:
        pass
    proto_dir = os.environ.get("RELEARN_PROTO_DIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "proto")
    protoc = shutil.which("protoc")
    if not protoc or not os.path.exists(os.path.join(proto_dir, "snapshot.proto")):
        raise ImportError("relearn_snapshot: no snapshot_pb2 module, and cannot generate it "
                          "(needs protoc and %s/snapshot.proto; set RELEARN_PROTO_DIR)" % proto_dir)
    out = tempfile.mkdtemp(prefix="relearn_pb_")
    subprocess.run([protoc, "-I", proto_dir, "--python_out=" + out,
                    os.path.join(proto_dir, "checkpoint.proto"),
                    os.path.join(proto_dir, "snapshot.proto")], check=True)
    sys.path.insert(0, out)
    try:
        _pb = importlib.import_module("snapshot_pb2")  # imports checkpoint_pb2 too
    finally:
        sys.path.remove(out)
        shutil.rmtree(out, ignore_errors=True)  # the modules are loaded: the files can go
    return _pb


# ---- float32 arithmetic ----
def f32(x):
    """x rounded once to float32 (as a Python float). Exact emulation of float arithmetic:
    a float product is exact in double, and a float sum computed in double then rounded once
    is the correctly rounded float sum (53 >= 2 * 24 + 2)."""
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:  # rounds beyond the largest float
        return math.copysign(math.inf, x)


def _clip(x, n):
    return math.copysign(n, x) if n > 0 and abs(x) > n else x


# ---- the frame ----
def _varint(b, pos):
    v = shift = 0
    while True:
        if pos >= len(b):
            raise FormatError("zero-run coding: truncated varint")
        c = b[pos]
        pos += 1
        v |= (c & 0x7F) << shift
        if not c & 0x80:
            return v, pos
        shift += 7
        if shift > 63:
            raise FormatError("zero-run coding: varint too long")


def _zero_runs_decode(coded, raw_len):
    out = bytearray()
    pos = 0
    while len(out) < raw_len:
        lit, pos = _varint(coded, pos)
        if pos + lit > len(coded):
            raise FormatError("zero-run coding: literal runs past the input")
        out += coded[pos:pos + lit]
        pos += lit
        zeros, pos = _varint(coded, pos)
        if lit + zeros == 0 or len(out) + zeros > raw_len:
            raise FormatError("zero-run coding: empty record or longer than raw_len")
        out += bytes(zeros)
    if pos != len(coded) or len(out) != raw_len:
        raise FormatError("zero-run coding: bytes left over")
    return bytes(out)


def decode_frame(data, magic):
    """Verifies a frame (docs/FORMAT.md section 1) and returns its decoded payload."""
    data = bytes(data)
    if len(data) < 4 or data[:4] != magic:
        got = data[:4]
        hint = " (one chunk of a snapshot: reassemble the chunks)" if got == b"RLSC" else ""
        raise FormatError("magic %r, expected %r%s" % (got, magic, hint))
    if len(data) < 6:
        raise FormatError("truncated: %d bytes" % len(data))
    version = struct.unpack_from("<H", data, 4)[0]
    if version > FRAME_VERSION:
        raise NewerVersionError("container version %d is newer than this reader (%d)"
                                % (version, FRAME_VERSION))
    if version < 1:
        raise FormatError("unknown container version %d" % version)
    if len(data) < HEADER_LEN + TRAILER_LEN:
        raise FormatError("truncated: %d bytes, shorter than header and checksum" % len(data))
    flags, payload_len, raw_len = struct.unpack_from("<HQQ", data, 6)
    avail = len(data) - HEADER_LEN - TRAILER_LEN
    if payload_len != avail:
        raise FormatError("header says %d payload bytes, %d present" % (payload_len, avail))
    body = HEADER_LEN + payload_len
    stored = struct.unpack_from("<Q", data, body)[0]
    computed = xxhash.xxh3_64_intdigest(data[:body], seed=0)
    if stored != computed:
        raise FormatError("checksum mismatch: stored %016x, computed %016x" % (stored, computed))
    if flags & ~(FLAG_ZSTD | FLAG_ZERO_RUNS):
        raise NewerVersionError("unknown flags 0x%x (a newer writer): refusing to guess" % flags)
    payload = data[HEADER_LEN:body]
    if flags == 0:
        if raw_len != payload_len:
            raise FormatError("uncompressed payload of %d bytes claims raw length %d"
                              % (payload_len, raw_len))
        return payload
    if flags & FLAG_ZSTD:
        size = zstandard.frame_content_size(payload)
        if flags & FLAG_ZERO_RUNS:
            if size < 0 or size > raw_len:
                raise FormatError("zstd frame content size does not fit raw length %d" % raw_len)
        elif size != raw_len:
            raise FormatError("zstd frame content size %d, header says %d" % (size, raw_len))
        try:
            payload = zstandard.ZstdDecompressor().decompress(payload, max_output_size=size)
        except zstandard.ZstdError as e:
            raise FormatError("zstd payload does not decompress: %s" % e)
        if len(payload) != size:
            raise FormatError("zstd payload decompressed to the wrong length")
    if flags & FLAG_ZERO_RUNS:
        payload = _zero_runs_decode(payload, raw_len)
    return payload


# ---- chunks ----
def _chunk(data):
    pb = _messages()
    c = pb.SnapshotChunk()
    try:
        c.ParseFromString(decode_frame(data, b"RLSC"))
    except Exception as e:
        if isinstance(e, FormatError):
            raise
        raise FormatError("chunk message does not parse: %s" % e)
    for f in ("format_version", "version", "index", "count", "total_length", "total_checksum",
              "data", "chunk_size"):
        if not c.HasField(f):
            raise FormatError("chunk: %s missing" % f)
    if c.format_version > CHUNK_FORMAT_MAX:
        raise NewerVersionError("chunk format version %d is newer than this reader (%d)"
                                % (c.format_version, CHUNK_FORMAT_MAX))
    if c.count == 0 or c.chunk_size == 0 or c.index >= c.count:
        raise FormatError("chunk: index %d not below count %d" % (c.index, c.count))
    off = c.index * c.chunk_size
    want = min(c.total_length - off, c.chunk_size) if off < c.total_length else 0
    if (c.total_length + c.chunk_size - 1) // c.chunk_size != c.count or len(c.data) != want \
            or want == 0:
        raise FormatError("chunk %d/%d: %d bytes inconsistent with total %d and chunk size %d"
                          % (c.index, c.count, len(c.data), c.total_length, c.chunk_size))
    return c


def assemble(messages, model=None, instance=None):
    """The newest complete snapshot among message values (whole RLSN snapshots and RLSC chunks,
    in any order, duplicates allowed), as a Snapshot: the highest version of the given model
    and instance (None: any). Raises FormatError if none is complete, or on an inconsistent
    chunk."""
    whole = {}
    parts = {}
    messages = list(messages)

    def wanted(name, inst):
        return (model is None or name == model) and (instance is None or inst == instance)

    for m in messages:
        m = bytes(m)
        if m[:4] == b"RLSC":
            c = _chunk(m)
            if not wanted(c.model_name, c.instance_id):
                continue
            key = (c.model_name, c.instance_id, c.version)
            p = parts.setdefault(key, {"hdr": (c.count, c.total_length, c.total_checksum,
                                               c.chunk_size), "data": {}})
            if p["hdr"] != (c.count, c.total_length, c.total_checksum, c.chunk_size):
                raise FormatError("chunk %d of %s: header differs from its siblings'"
                                  % (c.index, key))
            old = p["data"].get(c.index)
            if old is not None and old != c.data:
                raise FormatError("chunk %d of %s: two different pieces" % (c.index, key))
            p["data"][c.index] = c.data
        else:
            s = Snapshot(m)
            if wanted(s.model_name, s.instance_id):
                whole[(s.model_name, s.instance_id, s.version)] = s
    for key, p in parts.items():
        count, total, checksum, _ = p["hdr"]
        if len(p["data"]) < count or key in whole:
            continue
        framed = b"".join(p["data"][i] for i in range(count))
        if len(framed) != total or xxhash.xxh3_64_intdigest(framed, seed=0) != checksum:
            raise FormatError("reassembled %s: length or checksum does not match" % (key,))
        whole[key] = Snapshot(framed)
    if not whole:
        raise FormatError("no complete snapshot among %d messages" % len(messages))
    return whole[max(whole, key=lambda k: (k[2], k[0], k[1]))]


def load(path, *more):
    """A snapshot from a file, or from the files of its chunks (any order)."""
    blobs = []
    for p in (path,) + more:
        with open(p, "rb") as f:
            blobs.append(f.read())
    if len(blobs) == 1 and blobs[0][:4] == b"RLSN":
        return Snapshot(blobs[0])
    return assemble(blobs)


# ---- hashing (docs/FORMAT.md section 5) ----
def hash_name(name, bits, seed):
    if isinstance(name, str):
        name = name.encode("utf-8")
    return xxhash.xxh3_64_intdigest(bytes(name), seed=seed) & ((1 << bits) - 1)


def hash_index(index, bits, seed):
    mask = (1 << bits) - 1
    if not 0 <= index < 1 << 64:
        raise ValueError("index %d outside uint64" % index)
    if index <= mask:
        return index
    return xxhash.xxh3_64_intdigest(index.to_bytes(8, "little"), seed=seed) & mask


class Prediction:
    """score, value, prob (None when the model has none), cls (-1 for regression), and for
    softmax probs (one per class) and scores."""
    __slots__ = ("score", "value", "prob", "cls", "probs", "scores")

    def __init__(self, score, value, prob, cls, probs=None, scores=None):
        self.score, self.value, self.prob, self.cls = score, value, prob, cls
        self.probs, self.scores = probs, scores

    def __repr__(self):
        return "Prediction(score=%r, value=%r, prob=%r, cls=%r)" % (
            self.score, self.value, self.prob, self.cls)


def _row(row, n_slots, what):
    """A WeightRow's slot values as {slot: value} (sparse) or a list (dense)."""
    if len(row.dense_weights) and len(row.sparse_delta):
        raise FormatError("%s: both dense and sparse weights" % what)
    if len(row.dense_weights):
        if len(row.dense_weights) != n_slots:
            raise FormatError("%s: %d dense weights, expected 2^bits = %d"
                              % (what, len(row.dense_weights), n_slots))
        return list(row.dense_weights)
    if len(row.sparse_delta) != len(row.sparse_values):
        raise FormatError("%s: %d sparse indices but %d values"
                          % (what, len(row.sparse_delta), len(row.sparse_values)))
    out, slot = {}, 0
    for i, (d, v) in enumerate(zip(row.sparse_delta, row.sparse_values)):
        if i and d == 0:
            raise FormatError("%s: sparse slot %d repeats the previous one" % (what, i))
        slot = slot + d if i else d
        if slot >= n_slots:
            raise FormatError("%s: sparse slot %d outside 2^bits" % (what, slot))
        out[slot] = v
    return out


class Snapshot:
    """A decoded, verified snapshot (docs/FORMAT.md section 2) and its scoring function."""

    def __init__(self, framed):
        pb = _messages()
        m = pb.Snapshot()
        self.framed = bytes(framed)  # the verified framed bytes, as a file holds them
        try:
            m.ParseFromString(decode_frame(framed, b"RLSN"))
        except Exception as e:
            if isinstance(e, FormatError):
                raise
            raise FormatError("snapshot message does not parse: %s" % e)
        if not m.HasField("format_version"):
            raise FormatError("snapshot format_version missing")
        if m.format_version > SNAPSHOT_FORMAT_MAX:
            raise NewerVersionError("snapshot format version %d is newer than this reader (%d)"
                                    % (m.format_version, SNAPSHOT_FORMAT_MAX))
        if m.format_version < 1:
            raise FormatError("unknown snapshot format version %d" % m.format_version)
        self.format_version = m.format_version
        self.message = m
        lc = m.learner
        if not m.HasField("learner") or not lc.learner or not lc.HasField("bits"):
            raise FormatError("snapshot: learner config or its name or bits missing")
        if lc.learner not in LEARNERS:
            raise NewerVersionError("learner '%s': no scoring rule known for it" % lc.learner)
        self.learner = lc.learner
        self.loss = lc.loss if lc.HasField("loss") else "logistic"
        if self.loss not in LOSSES:
            raise NewerVersionError("loss '%s': no output rule known for it" % self.loss)
        if not 10 <= lc.bits <= 30:
            raise FormatError("snapshot: bits %d outside 10..30" % lc.bits)
        self.bits = lc.bits
        self.seed = lc.hash_seed
        self.dense_dim = lc.dense_dim
        self.bias = lc.bias if lc.HasField("bias") else True
        # docs/FORMAT.md section 6: namespace interactions, terms of 2 or 3 namespace bytes
        self.interactions = []
        if lc.HasField("interactions") and lc.interactions:
            if self.format_version < 3:
                raise FormatError("format %d snapshot with a format-3 field (interactions)"
                                  % self.format_version)
            for t in lc.interactions.encode("utf-8", "surrogateescape").split(b","):
                if not 2 <= len(t) <= 3:
                    raise FormatError("interactions: term %r is not 2 or 3 namespaces" % t)
                self.interactions.append(t)
        self.model_name, self.instance_id = m.model_name, m.instance_id
        self.version, self.parent_version = m.version, m.parent_version
        self.created_ms, self.events_seen = m.created_ms, m.events_seen
        n_slots = 1 << self.bits
        self.multiclass = self.learner == "softmax"
        want_rows = lc.n_classes if self.multiclass else 1
        if not m.HasField("row_count") or m.row_count != len(m.rows) or \
                not 1 <= m.row_count <= 1024 or m.row_count != want_rows:
            raise FormatError("snapshot: row_count %d, %d rows, %s expects %d"
                              % (m.row_count, len(m.rows), self.learner, want_rows))
        self.rows, self.dense_block, self.bias_w, self.score_scale = [], [], [], []
        for k, r in enumerate(m.rows):
            self.rows.append(_row(r, n_slots, "row %d" % k))
            if len(r.dense_block) != self.dense_dim:
                raise FormatError("row %d: dense block of %d, expected %d"
                                  % (k, len(r.dense_block), self.dense_dim))
            self.dense_block.append(list(r.dense_block))
            self.bias_w.append(r.bias if self.bias else 0.0)
            ss = r.score_scale if r.HasField("score_scale") else 1.0
            if r.HasField("score_scale") and self.format_version < 2:
                raise FormatError("format 1 snapshot with a format-2 field (score_scale)")
            if not (ss > 0 and math.isfinite(ss)) or (self.multiclass and ss != 1.0):
                raise FormatError("row %d: score_scale %r" % (k, ss))
            self.score_scale.append(ss)
        self.scales, self.dense_scales, self.bias_scale = {}, [0.0] * self.dense_dim, 0.0
        if m.HasField("scales"):
            if self.format_version < 2:
                raise FormatError("format 1 snapshot with a format-2 field (scales)")
            sc = m.scales
            if sc.HasField("score_scale") or len(sc.dense_block) != self.dense_dim:
                raise FormatError("scales: a score_scale, or a dense block of the wrong length")
            self.scales = _row(sc, n_slots, "scales")
            self.dense_scales = list(sc.dense_block)
            self.bias_scale = sc.bias
            vals = (self.scales if isinstance(self.scales, list) else list(self.scales.values())) \
                + self.dense_scales + [self.bias_scale]
            if not all(v >= 0 and math.isfinite(v) for v in vals):
                raise FormatError("scales: a scale that is negative, NaN or infinite")

    # ---- features ----
    def slot(self, feature):
        """The slot of a feature name (str/bytes) or index (int)."""
        if isinstance(feature, int):
            return hash_index(feature, self.bits, self.seed)
        return hash_name(feature, self.bits, self.seed)

    @staticmethod
    def _get(table, slot):
        if isinstance(table, list):
            return table[slot]
        return table.get(slot, 0.0)

    @staticmethod
    def _ns(feature):
        """A feature's namespace byte: the first byte of its name, ' ' for an index."""
        if isinstance(feature, int):
            return 0x20
        b = feature.encode("utf-8") if isinstance(feature, str) else bytes(feature)
        return b[0] if b else 0x20

    def _crossed(self, terms, ns):
        """The crossed (slot, value) pairs of docs/FORMAT.md section 6, in their order."""
        mask, out, n = (1 << self.bits) - 1, [], len(terms)

        def product(a, b):
            p = a * b  # exact in double for two floats
            return VALUE_MAX if p > VALUE_MAX else -VALUE_MAX if p < -VALUE_MAX else f32(p)

        for t in self.interactions:
            for i in range(n):
                if ns[i] != t[0]:
                    continue
                for j in range(i if t[1] == t[0] else 0, n):
                    if ns[j] != t[1]:
                        continue
                    s12 = (((terms[i][0] & mask) * FNV) & 0xFFFFFFFF) ^ (terms[j][0] & mask)
                    v12 = product(terms[i][1], terms[j][1])
                    if len(t) == 2:
                        out.append((s12 & mask, v12))
                        continue
                    for k in range(j if t[2] == t[1] else 0, n):
                        if ns[k] == t[2]:
                            s = (((s12 * FNV) & 0xFFFFFFFF) ^ (terms[k][0] & mask)) & mask
                            out.append((s, product(v12, terms[k][1])))
        return out

    # ---- scoring (docs/FORMAT.md sections 7 and 8) ----
    def predict(self, features, dense=None):
        """features: iterable of (name or index, value), in the event's order."""
        features = list(features)
        terms = [(self.slot(f), f32(v)) for f, v in features]
        if self.interactions:
            terms += self._crossed(terms, [self._ns(f) for f, _ in features])
        use_dense = dense is not None and len(dense) == self.dense_dim and self.dense_dim > 0
        dense = [f32(d) for d in dense] if use_dense else []
        xb = _clip(1.0, self.bias_scale)
        if not self.multiclass:
            w, z = self.rows[0], 0.0
            for s, x in terms:
                z = f32(z + f32(self._get(w, s) * _clip(x, self._get(self.scales, s))))
            for j, x in enumerate(dense):
                z = f32(z + f32(self.dense_block[0][j] * _clip(x, self.dense_scales[j])))
            if self.bias:
                z = f32(z + f32(self.bias_w[0] * xb))
            return self._output(z * self.score_scale[0])
        K = len(self.rows)
        z = [0.0] * K
        for s, x in terms:
            xc = _clip(x, self._get(self.scales, s))
            for k in range(K):
                z[k] += self._get(self.rows[k], s) * xc
        for j, x in enumerate(dense):
            xc = _clip(x, self.dense_scales[j])
            for k in range(K):
                z[k] += self.dense_block[k][j] * xc
        if self.bias:
            for k in range(K):
                z[k] += self.bias_w[k] * xb
        b = 0
        for k in range(1, K):
            if z[k] > z[b]:
                b = k
        e = [math.exp(zk - z[b]) for zk in z]
        total = 0.0
        for v in e:
            total += v
        p = [v / total for v in e]
        return Prediction(z[b], float(b), p[b], b, p, z)

    def _output(self, score):
        link = self.loss
        if self.learner in ("perceptron", "avg_perceptron"):
            link = "hinge"
        elif self.learner == "ftrl":
            link = "logistic"
        c = min(max(score, -SCORE_CLAMP), SCORE_CLAMP)
        cls = 1 if score > 0 else 0
        if link == "logistic":
            t = math.exp(-abs(c))
            inv = 1.0 / (1.0 + t)
            p = inv if score >= 0 else t * inv
            return Prediction(score, p, p, cls)
        if link == "hinge":
            return Prediction(score, float(cls), None, cls)
        if link == "squared":
            return Prediction(score, score, None, -1)
        return Prediction(score, math.exp(c), None, -1)

    def header(self):
        return {"format_version": self.format_version, "model_name": self.model_name,
                "instance_id": self.instance_id, "version": self.version,
                "parent_version": self.parent_version, "created_ms": self.created_ms,
                "learner": self.learner, "loss": self.loss, "bits": self.bits,
                "hash_seed": self.seed, "dense_dim": self.dense_dim, "rows": len(self.rows),
                "bias": self.bias, "clip_scales": bool(self.scales)}


def _instance(obj):
    """A JSON instance as (features, dense)."""
    dense = None
    if "features" in obj and isinstance(obj["features"], dict):
        dense = obj.get("dense")
        obj = obj["features"]
    feats = []
    for name, v in obj.items():
        if isinstance(v, str):
            feats.append(("%s=%s" % (name, v), 1.0))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            feats.append((name, float(v)))
        else:
            raise ValueError("feature %r: value must be a number or a string" % name)
    return feats, dense


def main(argv):
    args = argv[1:]
    predict = bool(args) and args[0] == "--predict"
    if predict:
        args = args[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    try:
        snap = load(*args)
    except (FormatError, OSError) as e:
        print("relearn_snapshot: %s" % e, file=sys.stderr)
        return 1
    if not predict:
        print(json.dumps(snap.header(), sort_keys=True))
        return 0
    rc = 0
    for n, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            feats, dense = _instance(json.loads(line))
            p = snap.predict(feats, dense)
        except ValueError as e:
            print("relearn_snapshot: stdin:%d: %s" % (n, e), file=sys.stderr)
            rc = 1
            continue
        out = {"score": p.score, "value": p.value, "prob": p.prob, "class": p.cls,
               "model_version": snap.version}
        if p.probs is not None:
            out["probs"] = p.probs
        print(json.dumps(out))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))

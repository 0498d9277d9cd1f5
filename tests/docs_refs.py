#!/usr/bin/python3
"""docs_refs.py - fails on any reference to a repository file that does not exist.

Scans the tracked code, CMake files, Makefile, scripts and markdown for what names a file of
this repository - a path with a folder and a known extension (storage/ckpt.h, tests/foo.sh), a
bare markdown name (at the root, beside the referring file or in a folder the line names), a
markdown link target - and
checks each resolves: from the repository root, from the referring file's folder, or (for a
bare name or a path given relative to some folder) as the tail of a tracked path. References
to a notes folder outside the repository (../shared, /work/) always fail: a clone lacks them.

    docs_refs.py REPO_ROOT        exit 0: every reference resolves; 1: each dangling one listed
"""
import os
import re
import subprocess
import sys

EXTS = r"(?:c|h|sh|md|cmake|proto|py|ini|txt|json|jsonl|mjs|yaml|yml|service|map|in|pc|xml|properties)"
# a/b/c.ext, not part of a URL, an absolute path or a ~ path
PATH_RX = re.compile(r"(?<![\w./~:$%{}<-])((?:\.\./|\./)?(?:[A-Za-z0-9_.-]+/)+[A-Za-z0-9_.*-]+\." + EXTS + r")(?![\w/-])")
MD_RX = re.compile(r"(?<![\w./-])([A-Za-z0-9_-]+\.md)\b")
NOTES_RX = re.compile(r"\b([A-Z][A-Z0-9]*-NOTES)\b")
# Documents of other projects named in passing (librdkafka's configuration reference).
EXTERNAL = {"CONFIGURATION.md"}
# a path a shell line writes (`... >path`): it exists once that line has run
WRITTEN_RX = re.compile(r">\s*([A-Za-z0-9_./-]+)")
LINK_RX = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
OUTSIDE_RX = re.compile(r"(\.\./shared\b|/work/(?:shared|notes)\b)")
SCANNED = re.compile(r"(\.(c|h|sh|md|cmake|py|mjs|in|proto)$|(^|/)CMakeLists\.txt$|(^|/)Makefile$|^\.ci/)")
# Paths that name things outside the repository, installed or made by the build, never files
# of ours.
NOT_OURS = re.compile(r"^(build|build-asan|usr|etc|var|tmp|proc|sys|dev|lib|share/|include/[a-z]+/|"
                      r"src/|docs/internals/|\$|[A-Z_]+/|librdkafka/|protobuf-c/|sys/|linux/|"
                      r"openblas/|zstd/|xxhash/)")


def main():
    root = os.path.abspath(sys.argv[1])
    if os.path.exists(os.path.join(root, ".git")):
        files = subprocess.run(["git", "-C", root, "ls-files"], capture_output=True, text=True,
                               check=True).stdout.split()
    else:  # an unpacked tarball: every file but the build trees
        files = []
        for d, subs, names in os.walk(root):
            subs[:] = [x for x in subs if x not in (".git", "build", "build-asan")]
            files += [os.path.relpath(os.path.join(d, x), root) for x in names]
    tracked = set(files)
    dirs = {os.path.dirname(f) for f in files}
    tails = set()
    for f in files:
        parts = f.split("/")
        for i in range(len(parts)):
            tails.add("/".join(parts[i:]))
    for d in dirs:
        parts = d.split("/")
        for i in range(len(parts)):
            tails.add("/".join(parts[i:]))

    def resolves(ref, src):
        ref = ref.rstrip(".,;:")
        if ref in EXTERNAL or ref in written:
            return True
        base = os.path.basename(ref)
        if re.fullmatch(r"[A-Z][A-Z_]*\.[a-z]+", base) and "/" in ref:
            return True  # a placeholder (deploy/NAME.ini)
        gen = re.fullmatch(r"(.*/)?([\w-]+)\.pb-c\.[ch]", ref)
        if gen:  # made by protoc-c from proto/NAME.proto
            return "proto/" + gen.group(2) + ".proto" in tracked
        if "*" in ref:
            pat = re.compile("^" + re.escape(ref).replace(r"\*", "[^/]*") + "$")
            return any(pat.search(f) or pat.search(f.split("/", 1)[-1]) for f in files) or \
                any(pat.match(t) for t in tails)
        cand = [ref, os.path.normpath(os.path.join(os.path.dirname(src), ref))]
        if any(c in tracked or c in dirs for c in cand):
            return True
        return ref.lstrip("./") in tails

    bad = []
    for src in files:
        if not SCANNED.search(src) or src.startswith("tests/fuzz/corpus/"):
            continue
        if src == "tests/docs_refs.py":
            continue
        try:
            text = open(os.path.join(root, src), encoding="utf-8", errors="replace").read()
        except OSError:
            continue
        written = set()
        for n, line in enumerate(text.split("\n"), 1):
            refs = set()
            written.update(m.group(1) for m in WRITTEN_RX.finditer(line))
            for m in OUTSIDE_RX.finditer(line):
                bad.append(f"{src}:{n}: {m.group(1)}: outside the repository (a clone lacks it)")
            for m in PATH_RX.finditer(line):
                r = m.group(1)
                if not NOT_OURS.match(r) and "://" not in line[max(0, m.start() - 60):m.start()]:
                    refs.add(r)
            for m in MD_RX.finditer(line):
                # a bare document name is one at the root or beside the referring file
                r = m.group(1)
                near = os.path.normpath(os.path.join(os.path.dirname(src), r))
                # or in a folder the same line names ("docs/    FORMAT.md: ...")
                named = any(d + "/" + r in tracked for d in re.findall(r"([\w.-]+)/", line))
                if r not in tracked and near not in tracked and r not in EXTERNAL and not named:
                    bad.append(f"{src}:{n}: {r}: not at the root nor beside {src}; give its path")
            for m in NOTES_RX.finditer(line):
                refs.add(m.group(1))
            if src.endswith(".md"):
                for m in LINK_RX.finditer(line):
                    t = m.group(1)
                    if "://" not in t and not t.startswith("mailto:"):
                        refs.add(t)
            for r in sorted(refs):
                if not resolves(r, src):
                    bad.append(f"{src}:{n}: {r}: no such file in the repository")
    for b in bad:
        print(b)
    if bad:
        print(f"docs_refs: {len(bad)} reference(s) to files the repository lacks", file=sys.stderr)
        return 1
    print(f"docs_refs: every file reference in {len(files)} tracked files resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main())

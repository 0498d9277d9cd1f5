#!/bin/sh
# Makes the local Debian 12 base image the Containerfile builds on where no registry is
# reachable: `mmdebstrap --variant=minbase bookworm` into a tarball, `podman import`ed as
# localhost/relearn-base:bookworm. Cached: does nothing when the image exists already (the
# tarball is kept in ${RL_CONTAINER_CACHE:-/var/cache/relearn-container} too).
# Build the image with it:
#   podman build --format docker --network host --build-arg BASE=localhost/relearn-base:bookworm \
#       -f deploy/Containerfile -t relearnd .
set -eu
IMAGE=localhost/relearn-base:bookworm
CACHE=${RL_CONTAINER_CACHE:-/var/cache/relearn-container}
podman image exists "$IMAGE" && exit 0
mkdir -p "$CACHE"
if [ ! -s "$CACHE/base.tar" ]; then
    mmdebstrap --variant=minbase bookworm "$CACHE/base.tar.tmp" >&2
    mv "$CACHE/base.tar.tmp" "$CACHE/base.tar"
fi
podman import "$CACHE/base.tar" "$IMAGE" >/dev/null

#!/usr/bin/env bash
# Builds, without pulling anything from a registry, the base image the Dockerfile starts FROM
# (node:20-bookworm-slim by default): a Debian bookworm root made by debootstrap from the Debian
# mirror apt already uses, plus this machine's Node.js and npm and its CA bundle. For machines that
# reach Debian and npm but no image registry (deploy/compose-check.sh calls it); with registry
# access, `docker pull node:20-bookworm-slim` is all you need.
#
#   bash deploy/base-image.sh [TAG]       TAG: the image to make (default: the Dockerfile's base)
#
# Also makes accord-check/redis:local (Debian's redis-server on the same root) for the check's Redis,
# since redis:7-alpine cannot be pulled either. The debootstrap root is cached as a tarball under
# ${ACCORD_CACHE:-~/.cache/accord-compose}, so only the first run pays for debootstrap.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
default_tag=$(sed -n 's/^ARG NODE_IMAGE=//p' "$root/Dockerfile" | head -n1)
TAG=${1:-${default_tag:-node:20-bookworm-slim}}
DEBIAN_TAG=accord-check/debian:bookworm
REDIS_TAG=${ACCORD_REDIS_IMAGE:-accord-check/redis:local}
CACHE=${ACCORD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/accord-compose}
TARBALL=$CACHE/debian-bookworm-minbase.tar
LOCAL_LABEL=org.accord.local-base

say() { printf '[base-image] %s\n' "$*"; }

# The Debian mirror apt uses here (deb822 or one-line sources), else deb.debian.org.
debian_mirror() {
  local m
  m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ && u !~ /security/ {print u; exit}')
  [ -n "$m" ] || m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1=="deb" && $3=="bookworm" && $2 !~ /security/ {print $2; exit}')
  echo "${m:-http://deb.debian.org/debian}"
}

# 1. The Debian root, as a tarball in the cache.
if [ ! -s "$TARBALL" ]; then
  command -v debootstrap >/dev/null || { say "installing debootstrap"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null; }
  mirror=$(debian_mirror)
  tmp=$(mktemp -d /tmp/accord-rootfs.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  say "debootstrap --variant=minbase bookworm from $mirror (once; cached in $CACHE)"
  debootstrap --variant=minbase bookworm "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 || {
    tail -n 20 "$tmp/debootstrap.log" >&2
    say "debootstrap failed"
    exit 1
  }
  # What slim images leave out: package caches, lists, docs and manuals.
  rm -rf "$tmp/root"/var/cache/apt/archives/*.deb "$tmp/root"/var/lib/apt/lists/* \
    "$tmp/root"/usr/share/doc/* "$tmp/root"/usr/share/man/* "$tmp/root"/usr/share/info/*
  mkdir -p "$CACHE"
  tar -C "$tmp/root" --numeric-owner -cf "$TARBALL.part" .
  mv "$TARBALL.part" "$TARBALL"
  rm -rf "$tmp"
  trap - EXIT
fi

# 2. The Debian image.
if ! docker image inspect "$DEBIAN_TAG" >/dev/null 2>&1; then
  say "docker import $TARBALL as $DEBIAN_TAG"
  docker import --change 'CMD ["bash"]' --change "LABEL $LOCAL_LABEL=debootstrap" "$TARBALL" "$DEBIAN_TAG" >/dev/null
fi

# 3. Node.js on it, laid out as in the official node images (/usr/local/bin/node, npm under
#    /usr/local/lib/node_modules), with this machine's CA bundle for npm and node behind a TLS proxy.
if ! docker image inspect "$TAG" >/dev/null 2>&1; then
  node_bin=$(readlink -f "$(command -v node)")
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")") # .../node_modules/npm
  ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
  node_version=$("$node_bin" --version)
  ctx=$(mktemp -d /tmp/accord-base-ctx.XXXXXX)
  trap 'rm -rf "$ctx"' EXIT
  cp "$node_bin" "$ctx/node"
  cp -a "$npm_dir" "$ctx/npm"
  if [ -s "$ca" ]; then cp "$ca" "$ctx/ca-certificates.crt"; else : >"$ctx/ca-certificates.crt"; fi
  registry=$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)
  printf 'cafile=/etc/ssl/certs/ca-certificates.crt\nregistry=%s\nupdate-notifier=false\nfund=false\naudit=false\n' \
    "$registry" >"$ctx/npmrc"
  cat >"$ctx/Dockerfile" <<EOF
FROM $DEBIAN_TAG
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY npmrc /usr/local/etc/npmrc
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node --version && npm --version
ENV NODE_VERSION=${node_version#v} NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
LABEL $LOCAL_LABEL=node
CMD ["node"]
EOF
  say "building $TAG: debootstrap bookworm + node $node_version (local stand-in for the registry image)"
  docker build -q -t "$TAG" "$ctx" >/dev/null
  rm -rf "$ctx"
  trap - EXIT
fi

# 4. Redis for the check: Debian's redis-server on the same base.
if ! docker image inspect "$REDIS_TAG" >/dev/null 2>&1; then
  say "building $REDIS_TAG (Debian redis-server)"
  printf '%s\n' "FROM $DEBIAN_TAG" \
    'RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server \' \
    ' && rm -rf /var/lib/apt/lists/* && mkdir -p /data' \
    "LABEL $LOCAL_LABEL=redis" \
    'WORKDIR /data' \
    'CMD ["redis-server"]' |
    docker build -q --network host -t "$REDIS_TAG" - >/dev/null
fi
say "ready: $TAG, $REDIS_TAG"

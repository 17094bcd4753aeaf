#!/usr/bin/env bash
# npm run setup:tensorflow: the native TensorFlow backend (@tensorflow/tfjs-node) without its install
# script, which downloads libtensorflow from Google's storage and so fails offline (npm then drops the
# optional dependency and training runs on wasm). Built here from parts a package index serves instead:
#   - the tensorflow-cpu wheel from pip (PyPI, or a local index / mirror): its libtensorflow_cc.so.2
#     exports TensorFlow's C API, and its include/ has the C headers;
#   - tfjs-node's own npm tarball (binding sources, JavaScript), and the few packages it requires at
#     run time, from the npm registry (or its mirror, or npm's cache);
#   - npm's bundled node-gyp and the system's Node headers, to compile the binding (about a minute).
# The wheel and the tarball are cached (~/.cache/accord/tensorflow, or $ACCORD_TF_CACHE); the build
# happens in a temporary folder and is moved into node_modules/@tensorflow/tfjs-node only once it
# loads and multiplies matrices, so a failure leaves node_modules as it was.
#
#   bash scripts/setup-tensorflow.sh [--force]
#
# --force rebuilds even when require('@tensorflow/tfjs-node') already works. Air-gapped machines: copy
# the wheel (tensorflow_cpu-2.21.0-*.whl) and the tarball (tensorflow-tfjs-node-4.22.0.tgz) into the
# cache folder, or name the wheel with ACCORD_TF_WHEEL=path; npm must still reach a registry, a mirror
# or its cache for @mapbox/node-pre-gyp, progress and google-protobuf. Linux x86-64 only. `npm ci`
# empties node_modules: run this again after it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

TF_VERSION=2.21.0
TFJS_NODE_VERSION=4.22.0
CACHE=${ACCORD_TF_CACHE:-$HOME/.cache/accord/tensorflow}
TARGET=node_modules/@tensorflow/tfjs-node
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

STEP="start"
STAGE=""
SAID=0
step() {
  STEP=$1
  echo "setup:tensorflow: $1"
}
fail() {
  echo "setup:tensorflow: FAILED at step \"$STEP\": $1" >&2
  SAID=1
  exit 1
}
cleanup() {
  local rc=$?
  [ -n "$STAGE" ] && rm -rf "$STAGE"
  if [ "$rc" -ne 0 ] && [ "$SAID" -eq 0 ]; then
    echo "setup:tensorflow: FAILED at step \"$STEP\" (exit $rc; the command's message is above)" >&2
  fi
}
trap cleanup EXIT

# Loads tfjs-node as `require` finds it from $1 (a package folder, or the package name from the
# project), sets the tensorflow backend and multiplies a 2x2 matrix; prints the versions.
check() {
  TF_CPP_MIN_LOG_LEVEL=2 node -e '
const tf = require(process.argv[1]);
(async () => {
  if (!(await tf.setBackend("tensorflow"))) throw new Error("tf.setBackend(\"tensorflow\") failed");
  const a = tf.tensor2d([[1, 2], [3, 4]]);
  const p = Array.from(await tf.matMul(a, a).data());
  if (p.join() !== "7,10,15,22") throw new Error(`matMul gave ${p}`);
  console.log(`backend ${tf.getBackend()}, tfjs-node ${tf.version["tfjs-node"]}, tfjs ${tf.version.tfjs}`);
})().catch((e) => { console.error(String(e.message).split("\n")[0]); process.exit(1); });
' "$1"
}

step "check for a working @tensorflow/tfjs-node"
node -e 'require.resolve("@tensorflow/tfjs/package.json")' 2>/dev/null ||
  fail "@tensorflow/tfjs is not in node_modules: run npm ci (or npm install) first"
if [ "$FORCE" -eq 0 ] && found=$(check @tensorflow/tfjs-node 2>/dev/null); then
  echo "setup:tensorflow: require('@tensorflow/tfjs-node') already works here ($found); nothing to do"
  exit 0
fi

step "check the tools"
[ "$(uname -s)/$(uname -m)" = "Linux/x86_64" ] ||
  fail "this builds from the Linux x86-64 tensorflow-cpu wheel; this machine is $(uname -s)/$(uname -m)"
tfjs_version=$(node -p 'require("@tensorflow/tfjs/package.json").version')
[ "$tfjs_version" = "$TFJS_NODE_VERSION" ] ||
  echo "setup:tensorflow: warning: @tensorflow/tfjs is $tfjs_version here, tfjs-node $TFJS_NODE_VERSION expects $TFJS_NODE_VERSION"
for tool in python3 make c++ tar; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (Debian: apt-get install python3 build-essential)"
done
# npm's own node-gyp (the one `npm rebuild` uses): next to npm-cli.js, or under the global root.
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
GYP=""
for g in "$npm_dir/node_modules/node-gyp/bin/node-gyp.js" \
  "$(npm root -g 2>/dev/null)/npm/node_modules/node-gyp/bin/node-gyp.js" \
  "$(dirname "$(dirname "$(command -v npm)")")/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"; do
  if [ -f "$g" ]; then
    GYP=$g
    break
  fi
done
[ -n "$GYP" ] || fail "npm's bundled node-gyp was not found (looked next to $(command -v npm) and under npm root -g)"
# The Node headers node-gyp compiles against (node_api.h): under node's own prefix, /usr or /usr/local;
# node-gyp would otherwise download them.
NODEDIR=${ACCORD_NODEDIR:-}
if [ -z "$NODEDIR" ]; then
  for d in "$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")" /usr /usr/local; do
    if [ -f "$d/include/node/node_api.h" ]; then
      NODEDIR=$d
      break
    fi
  done
fi
[ -n "$NODEDIR" ] && [ -f "$NODEDIR/include/node/node_api.h" ] ||
  fail "Node's headers (include/node/node_api.h) were not found in ${ACCORD_NODEDIR:-$(dirname "$(dirname "$(readlink -f "$(command -v node)")")"), /usr or /usr/local} (Debian: apt-get install libnode-dev; or set ACCORD_NODEDIR)"

mkdir -p "$CACHE"

step "get the tensorflow-cpu $TF_VERSION wheel (pip)"
WHEEL=${ACCORD_TF_WHEEL:-}
if [ -z "$WHEEL" ]; then
  WHEEL=$(find "$CACHE" -maxdepth 1 -name "tensorflow_cpu-$TF_VERSION-*manylinux*x86_64.whl" | head -1)
fi
if [ -z "$WHEEL" ]; then
  mkdir -p "$CACHE/download"
  python3 -m pip download "tensorflow-cpu==$TF_VERSION" --no-deps --only-binary=:all: -d "$CACHE/download" ||
    fail "pip could not download tensorflow-cpu==$TF_VERSION (no index reachable? copy the wheel into $CACHE or set ACCORD_TF_WHEEL)"
  for w in "$CACHE"/download/tensorflow_cpu-"$TF_VERSION"-*.whl; do mv "$w" "$CACHE/"; done
  rm -rf "$CACHE/download"
  WHEEL=$(find "$CACHE" -maxdepth 1 -name "tensorflow_cpu-$TF_VERSION-*manylinux*x86_64.whl" | head -1)
fi
[ -f "$WHEEL" ] || fail "no tensorflow_cpu-$TF_VERSION wheel for Linux x86-64 (got: ${WHEEL:-nothing})"
echo "  $WHEEL"

step "get @tensorflow/tfjs-node@$TFJS_NODE_VERSION (npm pack)"
TARBALL=$CACHE/tensorflow-tfjs-node-$TFJS_NODE_VERSION.tgz
if [ ! -f "$TARBALL" ]; then
  (cd "$CACHE" && npm pack "@tensorflow/tfjs-node@$TFJS_NODE_VERSION" --silent >/dev/null) ||
    fail "npm pack @tensorflow/tfjs-node@$TFJS_NODE_VERSION failed (no registry reachable? copy the tarball into $CACHE)"
fi
echo "  $TARBALL"

# On node_modules' file system, so the last step is a rename; removed on exit whatever happens.
mkdir -p node_modules/.cache
STAGE=$(mktemp -d "$ROOT/node_modules/.cache/accord-tfjs-node.XXXXXX")
PKG=$STAGE/tfjs-node

step "unpack tfjs-node and the TensorFlow C library and headers"
mkdir -p "$PKG"
tar xzf "$TARBALL" -C "$PKG" --strip-components=1
# From the wheel (a zip), only what the binding needs: the C API library and the headers that
# tensorflow/c/c_api.h and tensorflow/c/eager/c_api.h include (about 6 MB of 270).
python3 - "$WHEEL" "$PKG/deps" <<'PY'
import os, shutil, sys, zipfile
wheel, deps = sys.argv[1], sys.argv[2]
inc = "tensorflow/include/"
wanted = ("tensorflow/c/", "tensorflow/core/platform/", "tsl/", "xla/tsl/")
libs = {
    "tensorflow/libtensorflow_cc.so.2": "lib/libtensorflow.so.2",
    "tensorflow/libtensorflow_framework.so.2": "lib/libtensorflow_framework.so.2",
}
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    for src in libs:
        if src not in names:
            sys.exit(f"{wheel} has no {src}")
    for info in z.infolist():
        n = info.filename
        if n in libs:
            dst = libs[n]
        elif n.startswith(inc) and not n.endswith("/") and n[len(inc):].startswith(wanted):
            dst = "include/" + n[len(inc):]
        else:
            continue
        dst = os.path.join(deps, dst)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with z.open(info) as s, open(dst, "wb") as d:
            shutil.copyfileobj(s, d, 1 << 20)
PY
[ -f "$PKG/deps/include/tensorflow/c/eager/c_api.h" ] || fail "the wheel has no tensorflow/include/tensorflow/c/eager/c_api.h"
# binding.gyp links -ltensorflow -ltensorflow_framework; the library's soname is libtensorflow_cc.so.2.
ln -s libtensorflow.so.2 "$PKG/deps/lib/libtensorflow.so"
ln -s libtensorflow.so.2 "$PKG/deps/lib/libtensorflow_cc.so.2"
ln -s libtensorflow_framework.so.2 "$PKG/deps/lib/libtensorflow_framework.so"

step "install the packages tfjs-node requires at run time (npm)"
# Only what `require('@tensorflow/tfjs-node')` loads: @mapbox/node-pre-gyp (finds the binding),
# progress (fit's progress bar) and google-protobuf (TensorBoard, SavedModel). adm-zip, tar, rimraf
# and https-proxy-agent serve only its install script. @tensorflow/tfjs is the project's own, so
# the backend registers with the TF.js that Accord uses; the others go in tfjs-node's node_modules.
mapfile -t runtime < <(node -e '
const deps = require(process.argv[1]).dependencies;
for (const name of ["@mapbox/node-pre-gyp", "progress", "google-protobuf"]) {
  try { require.resolve(`${name}/package.json`, { paths: [process.cwd()] }); } catch { console.log(`${name}@${deps[name]}`); }
}' "$PKG/package.json")
if ((${#runtime[@]})); then
  mkdir -p "$STAGE/runtime"
  echo '{"private":true}' >"$STAGE/runtime/package.json"
  npm install --prefix "$STAGE/runtime" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
    --loglevel=error "${runtime[@]}" >/dev/null ||
    fail "npm install ${runtime[*]} failed (no registry, mirror or npm cache reachable?)"
  mv "$STAGE/runtime/node_modules" "$PKG/node_modules"
fi

step "build the binding (node-gyp, Node headers in $NODEDIR)"
napi=$(node -e '
const have = Number(process.versions.napi);
console.log(Math.max(...require(process.argv[1]).binary.napi_versions.filter((v) => v <= have)));' "$PKG/package.json")
if ! (cd "$PKG" && node "$GYP" rebuild --nodedir="$NODEDIR" --napi_build_version="$napi" \
  --module_name=tfjs_binding --module_path="$PKG/lib/napi-v$napi" -j "$(nproc 2>/dev/null || echo 2)") \
  >"$STAGE/build.log" 2>&1; then
  tail -30 "$STAGE/build.log" >&2
  fail "node-gyp rebuild failed (its last lines above)"
fi
[ -f "$PKG/lib/napi-v$napi/tfjs_binding.node" ] || fail "node-gyp wrote no lib/napi-v$napi/tfjs_binding.node"
rm -rf "$PKG/build"

step "check the new binding"
found=$(check "$PKG") || fail "the binding built but does not load or compute (message above)"
echo "  $found"

step "move it into $TARGET"
if [ -e "$TARGET" ] || [ -L "$TARGET" ]; then mv "$TARGET" "$STAGE/previous"; fi
mv "$PKG" "$TARGET"
if ! found=$(check @tensorflow/tfjs-node); then
  rm -rf "$TARGET"
  if [ -e "$STAGE/previous" ]; then mv "$STAGE/previous" "$TARGET"; fi
  fail "require('@tensorflow/tfjs-node') fails from the project after the move (message above); put back what was there"
fi
STEP="done"
echo "setup:tensorflow: done: require('@tensorflow/tfjs-node') works ($found)"

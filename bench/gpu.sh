#!/usr/bin/env bash
# Training speed on whatever GPU this machine has (docs/reference.md, "WebGPU"): times Accord's training
# loop and plain model.fit for the 2NN and the CNN (bench/gpu-train.ts) on webgpu (Dawn), tensorflow
# (tfjs-node-gpu / tfjs-node, where installed) and wasm, one JSON line each, after saying what GPU and
# what Dawn finds.
#
#   bash bench/gpu.sh          on a machine with the repo installed (npm ci) and a GPU
#   bash bench/gpu.sh pack     here (npm registry and Debian reachable): writes .gpu/, everything a bare
#                              x86-64 Linux machine without Node or a registry needs: this Node binary,
#                              the benchmark bundled (esbuild), dawn.node, the wasm files, the Vulkan loader
#   bash bench/gpu.sh          there, on the `device` tool's GPU machine: run(carry: [".gpu"]) finds .gpu/
#
# Environment: ROWS, BATCH (bench/gpu-train.ts); BACKENDS (default "webgpu tensorflow wasm").
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PACK=$ROOT/.gpu
say() { printf '== %s\n' "$*"; }

pack() {
  set -e
  rm -rf "$PACK" && mkdir -p "$PACK/node_modules/webgpu/dist/linux-x64" "$PACK/debs"
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >>.git/info/exclude
  # The benchmark and everything it imports in one file; webgpu stays outside (dawn.node sits beside it).
  node_modules/.bin/esbuild bench/gpu-train.ts --bundle --platform=node --format=esm --target=node20 \
    --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
    --banner:js="import { createRequire as __cr } from 'node:module'; import { dirname as __dn } from 'node:path'; import { fileURLToPath as __fp } from 'node:url'; const require = __cr(import.meta.url), __filename = __fp(import.meta.url), __dirname = __dn(__filename);" \
    --log-level=warning --outfile="$PACK/gpu-train.mjs"
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$PACK/node_modules/webgpu/"
  xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$PACK/dawn.node.xz"
  # Resolved at run time: the wasm files, and the webgpu backend's package (its code is in the bundle).
  for p in tfjs-backend-wasm tfjs-backend-webgpu; do
    mkdir -p "$PACK/node_modules/@tensorflow/$p/dist"
    cp "node_modules/@tensorflow/$p/package.json" "$PACK/node_modules/@tensorflow/$p/"
  done
  cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$PACK/node_modules/@tensorflow/tfjs-backend-wasm/dist/"
  cp node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.node.js \
    "$PACK/node_modules/@tensorflow/tfjs-backend-webgpu/dist/"
  xz -T0 -6 -c "$(command -v node)" >"$PACK/node.xz"
  # Dawn needs the Vulkan loader; the NVIDIA driver brings its own Vulkan driver (ICD).
  (cd "$PACK/debs" && apt-get download libvulkan1 >/dev/null)
  du -sh "$PACK"
}

if [ "${1:-}" = pack ]; then
  pack
  exit
fi

# Node: this machine's, else the packed one.
NODE=$(command -v node || true)
if [ -f "$PACK/node.xz" ] && { [ -z "$NODE" ] || [ ! -d node_modules ]; }; then
  xz -dc "$PACK/node.xz" >/tmp/accord-node && chmod +x /tmp/accord-node && NODE=/tmp/accord-node
  dawn=$PACK/node_modules/webgpu/dist/linux-x64/dawn.node
  [ -f "$dawn" ] || xz -dc "$PACK/dawn.node.xz" >"$dawn"
  BENCH=("$PACK/gpu-train.mjs")
else
  [ -n "$NODE" ] || { echo "no node here, and no .gpu/ (run 'bash bench/gpu.sh pack' where npm works)" >&2; exit 1; }
  [ -d node_modules ] || npm ci --no-audit --no-fund
  BENCH=(--import tsx bench/gpu-train.ts)
fi

say "machine"
uname -m
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  if compgen -G "$PACK/debs/*.deb" >/dev/null; then
    # Unpacked aside, not into /: found through LD_LIBRARY_PATH by this run alone.
    for f in "$PACK"/debs/*.deb; do dpkg -x "$f" /tmp/accord-vulkan; done
    export LD_LIBRARY_PATH=/tmp/accord-vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  elif command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq libvulkan1 >/dev/null 2>&1 || true
  fi
fi
if ldconfig -p | grep -q 'libvulkan\.so\.1' || [ -e /tmp/accord-vulkan/usr/lib/x86_64-linux-gnu/libvulkan.so.1 ]; then
  echo "Vulkan loader: yes"
else
  echo "Vulkan loader: none"
fi
# Where the NVIDIA driver is mounted rather than installed, point the loader at its Vulkan driver.
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json; do
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ] && ! ls /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json >/dev/null 2>&1; then
    export VK_DRIVER_FILES=$icd
    echo "VK_DRIVER_FILES=$icd"
  fi
done
echo "node $("$NODE" --version)"

status=0
for b in ${BACKENDS:-webgpu tensorflow wasm}; do
  say "$b"
  "$NODE" "${BENCH[@]}" "$b" 2>&1 | grep -v '^$' | tail -n 12 || status=1
done
exit $status

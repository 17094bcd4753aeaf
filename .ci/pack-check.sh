#!/usr/bin/env bash
# Proves the published package works without this repository: `npm pack`, install the tarball into an
# empty folder, then `accord-fl --help` (the npm name; `accord` on npm is another package) and a 3-round heart-disease simulation from there, on the compiled
# JavaScript alone (no tsx, no TypeScript sources, no tests or benches in the tarball); then `accord init`
# and the scaffolded project's own `npm install && npm test`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
step() { echo "== pack-check: $*"; }

step "npm pack"
tgz="$(cd "$repo" && npm pack --silent --pack-destination "$work" | tail -1)"
listing="$(tar -tzf "$work/$tgz")"
if grep -qE '^package/(test|bench|cli|coordinator|worker|shared|simulation)/|\.ts$|node_modules/' <<<"$listing"; then
  echo "pack-check: the tarball ships sources, tests or benches:"; grep -E '^package/(test|bench)/|\.ts$' <<<"$listing" | head
  exit 1
fi

step "install $tgz into an empty folder"
mkdir "$work/app"
cd "$work/app"
npm init -y >/dev/null
npm install --no-audit --no-fund "$work/$tgz" >"$work/install.log" 2>&1 || { tail -20 "$work/install.log"; exit 1; }

step "npm ls tsx (must find nothing)"
if [ -n "$(npm ls tsx --all --parseable 2>/dev/null)" ]; then echo "pack-check: tsx is installed with the package"; npm ls tsx --all; exit 1; fi

step "accord-fl --help and accord --help (the package's name on npm, and its short command)"
npx --no-install accord-fl --help >/dev/null
npx --no-install accord --help >/dev/null
[ -f node_modules/accord-fl/docs/architecture.md ] || { echo "pack-check: docs/ is not in the package (the README links into it)"; exit 1; }

step "accord simulate --dataset heart-disease --rounds 3"
npx --no-install accord simulate --dataset heart-disease --rounds 3 --out "$work/app/run"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const done = (r.rounds || []).filter((x) => x.committed !== false).length;
if (done !== 3) { console.error(`pack-check: report has ${done} rounds, expected 3`); process.exit(1); }
' "$work/app/run/report.json"
step "accord init demo, then the project's own npm install and npm test (its data checks and a 3-site simulation)"
npx --no-install accord init demo >/dev/null
(cd demo && npm install --no-audit --no-fund >"$work/demo-install.log" 2>&1 || { tail -20 "$work/demo-install.log"; exit 1; })
(cd demo && npm test)
step "ok"

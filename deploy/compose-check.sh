#!/usr/bin/env bash
# Runs docker-compose.yml for real: a 4-site heart-disease lab (Redis, coordinator, four workers, the
# submit step) on host networking, waits for the experiment to complete, checks its report, the
# status page, that `up` again does not resubmit and that Redis keeps the experiment when killed,
# then tears everything down (always, also on failure or Ctrl-C).
#
#   bash deploy/compose-check.sh
#
# Exit status: 0 the lab completed and every check passed; 1 a check failed; 3 skipped: Docker
# cannot run on this machine (dockerd does not start, or containers cannot run); the last line then
# reads "compose check skipped: <reason>".
#
# Needs root on a Debian machine: installs docker.io, docker-compose and debootstrap when missing and
# starts `dockerd --bridge=none --iptables=false` when no daemon answers (and stops it at the end).
# Base images are pulled when a registry answers, else built locally (deploy/base-image.sh).
# Everything listens on 127.0.0.1 at free ports chosen here (or ACCORD_REDIS_PORT, ACCORD_GRPC_PORT,
# ACCORD_HTTP_PORT). Other knobs: ACCORD_CHECK_TIMEOUT (seconds for the experiment, default 900),
# ACCORD_DOCKERD_OPTS (extra dockerd options), ACCORD_KEEP_DOCKERD=1 (leave a dockerd this script
# started running, for faster reruns), ACCORD_CACHE (the debootstrap tarball, and last-run/ with
# every log of the latest run; default ~/.cache/accord-compose).
# Cold (debootstrap, base images, npm ci) about 4 minutes here; warm about 1 to 1.5.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$(pwd)
CACHE=${ACCORD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/accord-compose}
export ACCORD_CACHE=$CACHE
LOGS=$CACHE/last-run
TIMEOUT=${ACCORD_CHECK_TIMEOUT:-900}
PROJECT=accord-check-$(date +%s)-$$
EXPERIMENT_FILE=examples/heart-disease.yaml
SITES="cleveland hungary switzerland va"
START=$SECONDS
mkdir -p "$LOGS" && rm -f "$LOGS"/*

step_no=0
step() {
  step_no=$((step_no + 1))
  printf '== [%d] %s (%ds)\n' "$step_no" "$*" $((SECONDS - START))
}
info() { printf '   %s\n' "$*"; }
fail() {
  printf 'compose check FAILED: %s\n' "$*" >&2
  exit 1
}
# Skipping: one line why, the last line printed (after any teardown).
skip() {
  SKIP_REASON=$*
  [ -n "${ARMED:-}" ] || printf 'compose check skipped: %s\n' "$SKIP_REASON"
  exit 3
}
# The line of a log that says why (dockerd's fatal message, an error), reduced to its message.
reason_from() {
  local line="" pat
  for pat in 'level=fatal' 'failed to start' '^Status: ' 'level=error' '[Ee]rror'; do
    line=$(grep -E "$pat" "$1" 2>/dev/null | tail -n 1)
    [ -z "$line" ] || break
  done
  [ -n "$line" ] || line=$(grep -v '^$' "$1" 2>/dev/null | tail -n 1)
  line=$(printf '%s' "$line" | sed -E 's/^.*msg="([^"]*)".*$/\1/; s/^time="[^"]*" level=[a-z]+ //; s/^Status: //; s/, Code: [0-9]+$//')
  printf '%s' "${line:-no output}" | cut -c1-300
}

# ---------------------------------------------------------------------------------------------------
step "tools: docker, dockerd, docker-compose, debootstrap"
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v docker >/dev/null 2>&1 || need+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || need+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v node >/dev/null 2>&1 || skip "node is not installed (it checks the report here and goes into a locally built base image)"
if ((${#need[@]})); then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  [ "$(id -u)" -eq 0 ] || skip "${need[*]} missing and not root to install them"
  info "installing ${need[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >"$LOGS/apt.log" 2>&1; then
    apt-get update -qq >>"$LOGS/apt.log" 2>&1
    apt-get install -y -qq --no-install-recommends "${need[@]}" >>"$LOGS/apt.log" 2>&1 ||
      skip "apt-get install ${need[*]} failed: $(reason_from "$LOGS/apt.log")"
  fi
fi
if command -v docker-compose >/dev/null 2>&1; then COMPOSE=(docker-compose); else COMPOSE=(docker compose); fi
info "$(docker --version 2>/dev/null); $("${COMPOSE[@]}" version --short 2>/dev/null || "${COMPOSE[@]}" version | head -n1)"

# ---------------------------------------------------------------------------------------------------
step "docker daemon"
DOCKERD_PID=
dockerd_tries=0
started_dockerd=false
stop_dockerd() {
  [ -n "$DOCKERD_PID" ] || return 0
  kill "$DOCKERD_PID" 2>/dev/null
  for _ in $(seq 1 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
  kill -0 "$DOCKERD_PID" 2>/dev/null && kill -9 "$DOCKERD_PID" 2>/dev/null
  DOCKERD_PID=
}
# Starts dockerd with the given extra options; 0 once `docker info` answers, else 1 (dockerd stopped).
try_dockerd() {
  local log=$LOGS/dockerd$((++dockerd_tries)).log
  info "starting $(echo dockerd --bridge=none --iptables=false ${ACCORD_DOCKERD_OPTS:-} "$@") (log: $log)"
  # shellcheck disable=SC2086 # ACCORD_DOCKERD_OPTS: extra options, word-split on purpose
  dockerd --bridge=none --iptables=false ${ACCORD_DOCKERD_OPTS:-} "$@" >>"$log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then return 0; fi
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 1
  done
  DOCKERD_REASON=$(reason_from "$log")
  stop_dockerd
  return 1
}
if docker info >/dev/null 2>&1; then
  info "a docker daemon is running already: using it"
else
  [ "$(id -u)" -eq 0 ] || skip "no docker daemon answers and not root to start dockerd"
  if [ -S /var/run/docker.sock ] && ! pgrep -x dockerd >/dev/null; then rm -f /var/run/docker.sock; fi
  DOCKERD_REASON=
  if try_dockerd; then
    started_dockerd=true
  else
    first_reason=$DOCKERD_REASON
    # The usual culprits: no overlay2 over this file system, or the systemd cgroup driver.
    if try_dockerd --storage-driver=vfs --exec-opt native.cgroupdriver=cgroupfs; then
      started_dockerd=true
      info "dockerd runs only with the vfs storage driver (slow); the default failed: $first_reason"
    else
      [ "$DOCKERD_REASON" = "$first_reason" ] && skip "dockerd could not start: $first_reason"
      skip "dockerd could not start: $first_reason (and with --storage-driver=vfs, cgroupfs: $DOCKERD_REASON)"
    fi
  fi
fi
info "$(docker info --format 'server {{.ServerVersion}}, storage {{.Driver}}, cgroup {{.CgroupDriver}} v{{.CgroupVersion}}' 2>/dev/null)"

# ---------------------------------------------------------------------------------------------------
# The lab runs from docker-compose.yml + deploy/docker-compose.check.yml, resolved by `config` into one
# file with the published ports left out (see "compose up" below).
RESOLVED=$LOGS/docker-compose.resolved.yml
dc() { "${COMPOSE[@]}" -f "$RESOLVED" --project-directory "$ROOT" -p "$PROJECT" "$@"; }
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "${UP:-}" ]; then
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
      dc ps >"$LOGS/ps.txt" 2>&1
      dc logs --no-color --timestamps >"$LOGS/compose.log" 2>&1
      echo "-- compose ps:" >&2
      cat "$LOGS/ps.txt" >&2
      echo "-- last 40 log lines (all: $LOGS/compose.log):" >&2
      tail -n 40 "$LOGS/compose.log" >&2
    fi
    step "tear down: docker-compose down -v"
    dc down -v --remove-orphans --timeout 10 >"$LOGS/down.log" 2>&1 || cat "$LOGS/down.log" >&2
    left=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
    vols=$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT")
    if [ -n "$left$vols" ]; then
      echo "left behind: containers [$left] volumes [$vols]; removing" >&2
      [ -z "$left" ] || docker rm -f $left >/dev/null 2>&1
      [ -z "$vols" ] || docker volume rm $vols >/dev/null 2>&1
      [ "$rc" -ne 0 ] || rc=1
    else
      info "no containers or volumes left of $PROJECT"
    fi
  fi
  if $started_dockerd && [ "${ACCORD_KEEP_DOCKERD:-}" != 1 ]; then
    info "stopping the dockerd this check started"
    stop_dockerd
  fi
  case $rc in
  0) printf 'compose check passed in %ds\n' $((SECONDS - START)) ;;
  3) printf 'compose check skipped: %s\n' "${SKIP_REASON:-}" ;;
  *) printf 'compose check failed (exit %d) after %ds; logs in %s\n' "$rc" $((SECONDS - START)) "$LOGS" >&2 ;;
  esac
  exit "$rc"
}
trap cleanup EXIT
ARMED=1
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------------
step "base images"
BASE=$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile | head -n1)
BASE=${BASE:-node:20-bookworm-slim}
export ACCORD_REDIS_IMAGE=${ACCORD_REDIS_IMAGE:-}
pulled() { docker image inspect "$1" >/dev/null 2>&1 || timeout 300 docker pull -q "$1" >>"$LOGS/pull.log" 2>&1; }
if pulled "$BASE"; then info "$BASE: present"; else info "$BASE: cannot be pulled ($(reason_from "$LOGS/pull.log")); building it locally"; fi
if [ -z "$ACCORD_REDIS_IMAGE" ] && pulled redis:7-alpine; then ACCORD_REDIS_IMAGE=redis:7-alpine; fi
export ACCORD_REDIS_IMAGE=${ACCORD_REDIS_IMAGE:-accord-check/redis:local}
if ! docker image inspect "$BASE" >/dev/null 2>&1 || ! docker image inspect "$ACCORD_REDIS_IMAGE" >/dev/null 2>&1; then
  bash deploy/base-image.sh "$BASE" >"$LOGS/base-image.log" 2>&1 || {
    cat "$LOGS/base-image.log" >&2
    fail "could not build the local base images (deploy/base-image.sh)"
  }
  grep '^\[base-image\]' "$LOGS/base-image.log" | sed 's/^/   /'
fi
info "base $BASE, redis $ACCORD_REDIS_IMAGE"
# Containers must run at all here (runc, cgroups, namespaces), before blaming the build.
if ! docker run --rm --network host "$BASE" node -e 'process.exit(0)' >"$LOGS/run-test.log" 2>&1; then
  skip "containers cannot run: $(reason_from "$LOGS/run-test.log")"
fi

# ---------------------------------------------------------------------------------------------------
step "build accord:latest (docker build --network host .)"
t=$SECONDS
# The legacy builder's RUN steps need a network: there is no bridge, so the host's. The build stage
# is tagged too, so that its cached layers (npm ci) stay referenced; the images a rebuild replaces
# (labelled org.accord.check, left untagged) are pruned, so that reruns do not fill the disk.
for target in "build accord-check/build-stage:latest" "runtime accord:latest"; do
  set -- $target
  [ "$1" = build ] && stage=(--target build) || stage=()
  DOCKER_BUILDKIT=0 docker build --network host "${stage[@]}" --label "org.accord.check=$1" -t "$2" . >>"$LOGS/build.log" 2>&1 || {
    tail -n 40 "$LOGS/build.log" >&2
    fail "docker build failed (log: $LOGS/build.log)"
  }
done
docker image prune -f --filter label=org.accord.check >/dev/null 2>&1
info "built in $((SECONDS - t))s: $(docker image inspect accord:latest --format '{{.Id}}' | cut -c8-19), $(($(docker image inspect accord:latest --format '{{.Size}}') / 1048576)) MiB"

# ---------------------------------------------------------------------------------------------------
step "compose up: $PROJECT"
read -r p1 p2 p3 < <(node -e '
  const net = require("node:net"), open = [];
  const next = () => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => { open.push(s);
    if (open.length < 3) next(); else { console.log(open.map((x) => x.address().port).join(" ")); open.forEach((x) => x.close()); } }); };
  next();')
export ACCORD_REDIS_PORT=${ACCORD_REDIS_PORT:-$p1} ACCORD_GRPC_PORT=${ACCORD_GRPC_PORT:-$p2} ACCORD_HTTP_PORT=${ACCORD_HTTP_PORT:-$p3}
export ACCORD_BIND=127.0.0.1
info "redis 127.0.0.1:$ACCORD_REDIS_PORT, grpc 127.0.0.1:$ACCORD_GRPC_PORT, status page http://127.0.0.1:$ACCORD_HTTP_PORT/"
# Published ports mean nothing on the host network, and Compose refuses them there ("host"
# network_mode is incompatible with port_bindings); an override can add to `ports:` but not empty it.
# So: the two files merged by `config`, then every host-network service's `ports` dropped (with the
# YAML library of the image just built, whichever Compose this is).
"${COMPOSE[@]}" -f docker-compose.yml -f deploy/docker-compose.check.yml config >"$RESOLVED.in" 2>"$LOGS/config.log" ||
  fail "docker-compose config rejects docker-compose.yml + deploy/docker-compose.check.yml: $(cat "$LOGS/config.log")"
docker run --rm -i --network none --entrypoint node accord:latest --input-type=module -e '
  import YAML from "yaml";
  let s = ""; for await (const d of process.stdin) s += d;
  const doc = YAML.parse(s, { version: "1.1" }), dropped = [];
  for (const [name, svc] of Object.entries(doc.services))
    if (svc.network_mode === "host" && svc.ports) { delete svc.ports; dropped.push(name); }
  process.stdout.write(YAML.stringify(doc, { version: "1.1" }));
  process.stderr.write(dropped.join(" "));
' <"$RESOLVED.in" >"$RESOLVED" 2>"$LOGS/dropped.txt" || fail "could not resolve the compose files: $(cat "$LOGS/dropped.txt")"
info "published ports left out (host network): $(cat "$LOGS/dropped.txt")"
dc config -q || fail "docker-compose config rejects $RESOLVED"
UP=1
dc up -d --no-build >"$LOGS/up.log" 2>&1 || {
  cat "$LOGS/up.log" >&2
  fail "docker-compose up failed"
}
info "$(dc ps --services 2>/dev/null | tr '\n' ' ')"

REDIS_URL=redis://redis:$ACCORD_REDIS_PORT
accord_json() { dc exec -T coordinator node dist/bin/accord.js "$@" --json --redis "$REDIS_URL" 2>>"$LOGS/exec.log"; }
# node on this side reads JSON from stdin: js EXPRESSION with `j` the parsed value; prints the result.
jq_node() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let j;try{j=JSON.parse(s)}catch{process.exit(1)}const r=('"$1"');if(r!==undefined)console.log(typeof r==="string"?r:JSON.stringify(r))})'; }
# The experiment the submit step queues, by the name in its YAML.
EXP_NAME=$(sed -n 's/^name: *//p' "$EXPERIMENT_FILE" | head -n1)
EXP_FILTER="j.experiments.filter(e=>e.name===$(node -p 'JSON.stringify(process.argv[1])' "$EXP_NAME"))"

# ---------------------------------------------------------------------------------------------------
step "wait for the experiment to complete (at most ${TIMEOUT}s)"
deadline=$((SECONDS + TIMEOUT))
last=
ID=
while :; do
  snap=$(accord_json status) || snap=
  line=$(printf '%s' "$snap" | jq_node "(()=>{const e=${EXP_FILTER}[0];const w=j.workers.filter(w=>w.live).map(w=>w.site).sort();
    return e?[e.id,e.status,e.committed+'/'+e.rounds,e.phase,e.meanSiteAccuracy==null?'-':(100*e.meanSiteAccuracy).toFixed(1)+'%',w.length+' live workers: '+w.join(' ')].join(' | '):'not submitted yet | '+w.length+' live workers: '+w.join(' ')})()" 2>/dev/null)
  if [ -n "$line" ] && [ "$line" != "$last" ]; then
    info "$(printf '%4ds' $((SECONDS - START))) $line"
    last=$line
  fi
  status=$(printf '%s' "$snap" | jq_node "(${EXP_FILTER}[0]||{}).status" 2>/dev/null)
  case $status in
  completed) ID=$(printf '%s' "$snap" | jq_node "${EXP_FILTER}[0].id"); break ;;
  failed | cancelled) fail "the experiment ended $status: $(printf '%s' "$snap" | jq_node "${EXP_FILTER}[0].error||''")" ;;
  esac
  restarts=$(for s in redis coordinator; do docker inspect -f "$s {{.RestartCount}}" "$(dc ps -q "$s")" 2>/dev/null; done | awk '$2 > 0' | tr '\n' ' ')
  [ -z "$restarts" ] || [ "$restarts" = "${last_restarts:-}" ] || info "warning: restarted: $restarts"
  last_restarts=$restarts
  [ "$SECONDS" -lt "$deadline" ] || fail "the experiment did not complete within ${TIMEOUT}s (last: ${last:-no status})"
  sleep 5
done
info "experiment $ID completed"

# ---------------------------------------------------------------------------------------------------
step "check the report ($ID)"
# Report files in the coordinator's store.
dc exec -T coordinator sh -c "cd /store/$ID && ls -l report.json report.md report.html" >"$LOGS/store-ls.txt" 2>&1 ||
  fail "report.json/report.md/report.html missing in /store/$ID: $(cat "$LOGS/store-ls.txt")"
for f in report.md report.html; do
  dc exec -T coordinator test -s "/store/$ID/$f" || fail "/store/$ID/$f is empty"
done
dc exec -T coordinator cat "/store/$ID/report.json" >"$LOGS/report.json" || fail "cannot read /store/$ID/report.json"
summary=$(node - "$LOGS/report.json" "$SITES" <<'EOF'
const fs = require('node:fs');
const [file, sitesArg] = process.argv.slice(2);
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
const sites = sitesArg.split(' ').sort();
const problems = [];
const want = r.experiment.config.rounds;
if (r.experiment.status !== 'completed') problems.push(`status ${r.experiment.status}`);
if (r.rounds.length !== want) problems.push(`${r.rounds.length}/${want} rounds committed`);
r.rounds.forEach((round, i) => {
  const trained = Object.keys(round.train ?? {}).sort().join(' ');
  if (trained !== sites.join(' ')) problems.push(`round ${i + 1} trained on [${trained}]`);
});
const f = r.final;
if (!f) problems.push('no final figures');
else {
  const acc = Object.keys(f.siteAccuracy ?? {}).sort().join(' ');
  if (acc !== sites.join(' ')) problems.push(`final accuracy for [${acc}], want [${sites.join(' ')}]`);
  for (const k of ['accuracy', 'meanSiteAccuracy'])
    if (!(typeof f[k] === 'number' && f[k] > 0.5 && f[k] <= 1)) problems.push(`final ${k} ${f[k]} (want 0.5 < x <= 1)`);
  if (!Number.isFinite(f.loss)) problems.push(`final loss ${f.loss}`);
}
if (problems.length) {
  console.log(`BAD ${problems.join('; ')}`);
  process.exit(1);
}
const pct = (x) => `${(100 * x).toFixed(1)}%`;
console.log(
  `${r.rounds.length}/${want} rounds, sites ${sites.join(', ')}; final accuracy ${pct(f.accuracy)}, mean site accuracy ${pct(f.meanSiteAccuracy)} (` +
    sites.map((s) => `${s} ${pct(f.siteAccuracy[s])}`).join(', ') + `), loss ${f.loss.toFixed(4)}`,
);
EOF
) || fail "report.json: ${summary#BAD }"
info "report.json: $summary"
info "report.md, report.html present ($(awk '{s+=$5} END {print s}' "$LOGS/store-ls.txt") bytes together)"

# The status page and the report as the coordinator serves them on 127.0.0.1.
node - "$ACCORD_HTTP_PORT" "$ID" <<'EOF' || fail "status page checks failed"
const [port, id] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const get = async (p) => { const r = await fetch(base + p); return { status: r.status, body: await r.text() }; };
(async () => {
  const checks = [
    ['/healthz', (r) => r.status === 200],
    ['/', (r) => r.status === 200 && r.body.includes(id)],
    [`/experiments/${id}`, (r) => r.status === 200 && r.body.includes(id)],
    [`/experiments/${id}/report.json`, (r) => r.status === 200 && JSON.parse(r.body).experiment.id === id],
    ['/metrics', (r) => r.status === 200 && /^# (HELP|TYPE) /m.test(r.body)],
  ];
  let ok = true;
  for (const [p, test] of checks) {
    const r = await get(p).catch((e) => ({ status: String(e), body: '' }));
    const pass = (() => { try { return test(r); } catch { return false; } })();
    if (!pass) { ok = false; console.error(`   GET ${p}: ${r.status}`); }
  }
  if (ok) console.log(`   status page ${base}/: /, /experiments/${id}, its report.json, /metrics, /healthz answer`);
  process.exit(ok ? 0 : 1);
})();
EOF
# Each site's audit log of what it sent.
audit=
for s in $SITES; do
  n=$(dc exec -T "worker-$s" sh -c "wc -l < /audit/$s.jsonl" 2>/dev/null | tr -d '[:space:]')
  [ "${n:-0}" -gt 0 ] || fail "worker-$s: no audit log /audit/$s.jsonl"
  audit="$audit $s:$n"
done
info "audit logs (lines):$audit"

# ---------------------------------------------------------------------------------------------------
step "up again: the submit step must not resubmit"
dc up -d --no-build >>"$LOGS/up.log" 2>&1 || fail "second docker-compose up failed"
c=$(dc ps -q submit)
for _ in $(seq 1 60); do
  [ "$(docker inspect -f '{{.State.Status}}' "$c" 2>/dev/null)" = exited ] && break
  sleep 1
done
[ "$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$c")" = "exited 0" ] ||
  fail "submit did not finish cleanly after the second up: $(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$c")"
n=$(accord_json status | jq_node "$EXP_FILTER.length")
[ "$n" = 1 ] || fail "$n \"$EXP_NAME\" experiments after a second up (want 1)"
info "$(dc logs --no-color submit 2>/dev/null | grep -o 'experiment ".*' | tail -n 1)"

# ---------------------------------------------------------------------------------------------------
step "Redis persistence: kill -9 redis, start it, the experiment is still there"
dc kill -s SIGKILL redis >>"$LOGS/up.log" 2>&1 || fail "docker-compose kill redis failed"
dc start redis >>"$LOGS/up.log" 2>&1 || fail "docker-compose start redis failed"
for _ in $(seq 1 60); do
  [ "$(docker inspect -f '{{.State.Health.Status}}' "$(dc ps -q redis)" 2>/dev/null)" = healthy ] && break
  sleep 1
done
after=$(accord_json status "$ID" | jq_node "(e=>e.status+' '+e.committed+'/'+e.rounds)(j.experiments[0])")
[ "$after" = "completed $(jq_node 'j.experiment.config.rounds+"/"+j.experiment.config.rounds' <"$LOGS/report.json")" ] ||
  fail "after a Redis restart the experiment reads \"${after:-nothing}\""
info "after kill -9 and start: $ID $after; append-only file: $(dc exec -T redis sh -c 'ls /data/appendonlydir 2>/dev/null | tr "\n" " " || ls /data')"
# The coordinator and the workers lived through it (ioredis reconnects), or came back by their policy.
sleep 3
for s in coordinator $(printf 'worker-%s ' $SITES); do
  [ "$(docker inspect -f '{{.State.Status}}' "$(dc ps -q "$s")")" = running ] || fail "$s is not running after the Redis restart"
done
node -e 'fetch(`http://127.0.0.1:${process.argv[1]}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$ACCORD_HTTP_PORT" ||
  fail "the coordinator's /healthz does not answer after the Redis restart"
live=$(accord_json status | jq_node 'j.workers.filter(w=>w.live).length')
info "coordinator and workers still running, /healthz answers, $live live workers"
restarts=$(for s in coordinator $(printf 'worker-%s ' $SITES); do docker inspect -f "$s {{.RestartCount}}" "$(dc ps -q "$s")"; done | awk '$2 > 0' | tr '\n' ' ')
info "restart policies: $(docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' "$(dc ps -q coordinator)") (coordinator, redis, workers), on-failure (submit)${restarts:+; restarted: $restarts}"

step "all checks passed: experiment $ID on 4 sites"
exit 0

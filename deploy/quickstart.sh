#!/usr/bin/env bash
# Quick start on one machine, as root: installs everything, starts nats-server
# (JetStream, a free port, a temp dir), a collector and one agent, scans
# 127.0.0.1 only, prints the inventory and the NATS messages the collector
# published, then stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup.sh
if [ -z "${SEXTANT_RECOG_DIR:-}" ] && [ -d ../shared/recog/xml ]; then
  export SEXTANT_RECOG_DIR="$PWD/../shared/recog/xml"
fi
export SEXTANT_LOG_LEVEL="${SEXTANT_LOG_LEVEL:-warn}"
# How to run the CLI (overridable for development).
read -r -a sextant <<< "${SEXTANT_CLI:-node shared/cli/bin.js}"

work=$(mktemp -d /tmp/sextant-quickstart.XXXXXX)
pids=()
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 1 100); do answers "$1" && return 0; sleep 0.2; done; echo "quickstart: nothing answers on port $1" >&2; return 1; }

nats_port=$(free_port)
grpc_port=$(free_port)
admin_port=$(free_port)
token=$(node -e "console.log(require('crypto').randomBytes(16).toString('hex'))")
export SEXTANT_ENROL_TOKEN="$token"

echo "== nats-server with JetStream on 127.0.0.1:$nats_port (data in $work/nats)"
nats-server -a 127.0.0.1 -p "$nats_port" -js -sd "$work/nats" >"$work/nats.log" 2>&1 &
pids+=($!)
wait_port "$nats_port"
node --import tsx deploy/nats-tail.ts "nats://127.0.0.1:$nats_port" 'sextant.assets.>' >"$work/messages.jsonl" 2>/dev/null &
pids+=($!)

echo "== collector on 127.0.0.1:$grpc_port, one task: 127.0.0.1, top-100 ports"
"${sextant[@]}" collector --listen "127.0.0.1:$grpc_port" --admin "127.0.0.1:$admin_port" \
  --db "$work/sextant.db" --nats "nats://127.0.0.1:$nats_port" \
  --task "site=quickstart targets=127.0.0.1 ports=top-100 id=quickstart-1" >"$work/collector.out" 2>"$work/collector.log" &
collector=$!
pids+=($collector)
wait_port "$admin_port"

echo "== agent quickstart-agent (site quickstart)"
"${sextant[@]}" agent --collector "127.0.0.1:$grpc_port" --name quickstart-agent --site quickstart \
  --spool "$work/spool" 2>"$work/agent.log" &
pids+=($!)

admin() { node -e "fetch('http://127.0.0.1:$admin_port$1',{headers:{authorization:'Bearer $token'}}).then(r=>r.text()).then(t=>process.stdout.write(t))"; }
state=""
for _ in $(seq 1 120); do
  state=$(admin /v1/tasks | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const t=JSON.parse(s)[0];console.log(t&&t.agents[0]?t.agents[0].state:'pending')})")
  [ "$state" = done ] || [ "$state" = failed ] || [ "$state" = refused ] && break
  sleep 1
done
echo "task quickstart-1: $state"
# The last batches and their events follow the final progress report closely.
sleep 2

echo "== inventory"
admin '/v1/assets?site=quickstart' | node -e "
let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{
  const assets=JSON.parse(s);
  for (const a of assets) {
    console.log(a.addresses.join(' ')+'  os='+(a.os||'-')+'  first_seen='+a.first_seen);
    for (const v of a.services) console.log('  '+v.transport+'/'+v.port+'  '+[v.protocol,v.vendor,v.product,v.version].filter(Boolean).join(' '));
  }
  console.log(assets.length+' assets');
})"

# Stop the agent and the collector first so every event is published, then show them.
kill "${pids[3]}" "$collector" 2>/dev/null || true
wait "${pids[3]}" "$collector" 2>/dev/null || true
sleep 1
echo "== NATS messages on sextant.assets.> ($(wc -l <"$work/messages.jsonl"))"
node -e "
for (const line of require('fs').readFileSync('$work/messages.jsonl','utf8').split('\n').filter(Boolean)) {
  const m=JSON.parse(line); const a=m.body.asset||{};
  console.log(m.subject+'  asset '+a.id+' rev '+a.revision+'  '+(a.addresses||[]).join(' ')+'  changes: '+(m.body.changes||[]).map(c=>c.field).join(', '));
}"

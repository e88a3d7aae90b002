#!/usr/bin/env bash
# The main job, end to end against a throwaway redis-server: validate,
# render, plan, apply, plan again (no changes), a CONFIG SET made behind
# redisplan's back, plan showing the drift, apply undoing it. Everything
# lives in a temp dir that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${REDISPLAN:-$PWD/bin/redisplan}
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A free loopback port: nothing answers on it.
port=""
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 20000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
    port=$candidate
    break
  fi
done
[ -n "$port" ] || { echo "demo: no free port found" >&2; exit 1; }

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

cat >"$work/redis.conf" <<CONF
# A server as it might be found: a hand-written config.
port $port
bind 127.0.0.1
dir $work
daemonize yes
pidfile $work/redis.pid
logfile $work/redis.log
save ""
CONF
redis-server "$work/redis.conf"
for _ in $(seq 1 100); do
  [ -s "$work/redis.pid" ] && redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
pid=$(cat "$work/redis.pid")
redis-cli -p "$port" set greeting "hello" >/dev/null

mkdir "$work/spec"
cat >"$work/spec/redis.hcl" <<HCL
redis "demo" {
  address     = "127.0.0.1:$port"
  config_file = "$work/redis.conf"

  persistence {
    aof {
      enabled = true
      fsync   = "everysec"
    }
    rdb {
      snapshot {
        after   = "1h"
        changes = 1
      }
    }
  }

  memory {
    max    = "256mb"
    policy = "allkeys-lru"
  }

  monitoring {
    slowlog_threshold = "10ms"
    keyspace_events   = "Ex"
  }
}
HCL

step "redisplan validate"
"$bin" validate -config "$work/spec"
step "redisplan render (the redis.conf the spec describes)"
"$bin" render -config "$work/spec"
step "redisplan plan"
"$bin" plan -config "$work/spec" || true
step "redisplan apply -auto-approve"
"$bin" apply -auto-approve -config "$work/spec"
step "redisplan plan -detailed-exitcode (expect no changes, exit 0)"
"$bin" plan -detailed-exitcode -config "$work/spec"
step "someone runs CONFIG SET maxmemory 64mb behind redisplan's back"
redis-cli -p "$port" config set maxmemory 64mb
step "redisplan plan shows the drift"
set +e
"$bin" plan -detailed-exitcode -config "$work/spec"
code=$?
set -e
echo "(plan exited $code: 2 means changes)"
step "redisplan apply -auto-approve undoes it"
"$bin" apply -auto-approve -config "$work/spec"
step "the key written before is still there"
redis-cli -p "$port" get greeting
echo
echo "Demo finished; the throwaway server and its files are removed."

#!/usr/bin/env bash
# The whole job, end to end, against a throwaway redis-server and a local
# webhook receiver standing for the team's alerts: lint (the spec's own
# review: clean), plan, apply, a change made behind redisplan's back and
# undone, a check whose alert fires (no backup yet), a backup, the archiver
# following the write stream in the background, more writes, a mistaken
# FLUSHALL, a verified restore to the second before it (the backup plus the
# archived writes), and a check whose alert resolves. Each
# step ends with its key figure on one line ("=> ..."); the figures are
# listed again at the end. Everything lives in a temp dir that is removed
# at the end, and the server, the archiver and the receiver are stopped by
# their PIDs, also when a step fails.
#
# REDISPLAN names the binary (default bin/redisplan, which `make demo`
# builds); DEMOHOOK names a built scripts/demohook (default: built here).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${REDISPLAN:-$PWD/bin/redisplan}
work=$(mktemp -d)
pid=""
hookpid=""
archpid=""
cleanup() {
  # The archiver first: it commits what it received on SIGTERM and exits.
  if [ -n "$archpid" ] && kill -0 "$archpid" 2>/dev/null; then
    kill "$archpid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$archpid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$archpid" 2>/dev/null || true
  fi
  # The restore starts the server again: the pidfile names the process
  # that runs now.
  if [ -s "$work/redis.pid" ]; then
    pid=$(cat "$work/redis.pid")
  fi
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid" 2>/dev/null || true
  fi
  if [ -n "$hookpid" ]; then
    kill "$hookpid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
started=$SECONDS
# Locks and state stay in the temp dir too.
export XDG_STATE_HOME=$work/state

# free_port prints a loopback port nothing answers on.
free_port() {
  local candidate
  for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo "demo: no free port found" >&2
  exit 1
}

bold="" green="" plain=""
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  bold=$'\033[1m' green=$'\033[1;32m' plain=$'\033[0m'
fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
figures=()
# key prints a step's key figure and keeps it for the summary.
key() {
  printf '%s=> %s%s\n' "$green" "$*" "$plain"
  figures+=("$*")
}
# run runs redisplan, showing its output and keeping it in $work/out; its
# exit status is in $code (the demo expects some non-zero ones).
run() {
  set +e
  "$bin" "$@" 2>&1 | tee "$work/out"
  code=${PIPESTATUS[0]}
  set -e
}
expect() {
  [ "$code" = "$1" ] || { echo "demo: redisplan exited $code, expected $1" >&2; exit 1; }
}
cli() { redis-cli -p "$port" "$@"; }
# archived waits (WAIT 1 1000, up to ten times) until the archiver has
# committed every write made so far, and prints how many replicas have.
archived() {
  local n=0
  for _ in $(seq 1 10); do
    n=$(cli wait 1 1000)
    [ "$n" -ge 1 ] && break
  done
  [ "$n" -ge 1 ] || { echo "demo: the archiver did not acknowledge the writes; its log:" >&2; cat "$work/archive.log" >&2; exit 1; }
  echo "$n"
}

# The alert receiver: what a team's webhook would get.
hook=${DEMOHOOK:-}
if [ -z "$hook" ]; then
  hook=$work/demohook
  go build -o "$hook" ./scripts/demohook
fi
"$hook" -url-file "$work/hook.url" >"$work/alerts.log" 2>&1 &
hookpid=$!
for _ in $(seq 1 300); do
  [ -s "$work/hook.url" ] && break
  sleep 0.1
done
[ -s "$work/hook.url" ] || { echo "demo: the webhook receiver did not start:" >&2; cat "$work/alerts.log" >&2; exit 1; }
webhook=$(cat "$work/hook.url")
# alerts prints the alerts the receiver got since the last call.
seen=0
alerts() {
  local all
  all=$(wc -l <"$work/alerts.log")
  tail -n +"$((seen + 1))" "$work/alerts.log" | head -n "$((all - seen))"
  seen=$all
}

mkdir "$work/data" "$work/backups"
# The port was free a moment ago, but another program may take it first:
# the server is ready when it answers as the process its pidfile names,
# and is started again on another port otherwise.
for attempt in 1 2 3 4 5; do
  port=$(free_port)
  cat >"$work/redis.conf" <<CONF
# A server as it might be found: a hand-written config.
port $port
bind 127.0.0.1
dir $work/data
daemonize yes
pidfile $work/redis.pid
logfile $work/redis.log
save ""
CONF
  rm -f "$work/redis.pid"
  redis-server "$work/redis.conf"
  for _ in $(seq 1 100); do
    if [ -s "$work/redis.pid" ]; then
      pid=$(cat "$work/redis.pid")
      [ "$(cli info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')" = "$pid" ] && break 2
    fi
    sleep 0.1
  done
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  pid=""
  [ "$attempt" -lt 5 ] || { echo "demo: redis-server did not start; its log:" >&2; cat "$work/redis.log" >&2; exit 1; }
done

mkdir "$work/spec"
cat >"$work/spec/redis.hcl" <<HCL
redis "demo" {
  address     = "127.0.0.1:$port"
  config_file = "$work/redis.conf"

  # How restore starts the server again after putting the backup in place.
  service {
    start = ["redis-server", "$work/redis.conf"]
  }

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
    policy = "noeviction"
  }

  backup {
    schedule    = "0 3 * * *"
    destination = "$work/backups"
    # The write stream too, for restores to any second (redisplan archive).
    archive {
      flush = "1s"
    }
    retention {
      max_age  = "30d"
      keep_min = 3
    }
  }

  alerts {
    schedule = "*/15 * * * *"
    webhook  = "$webhook"
    backup_age {
      critical = "25h"
    }
    archive_lag {
      warning  = "10s"
      critical = "1m"
    }
    rdb_save_failed {
      severity = "critical"
    }
    aof_rewrite_failed {
      severity = "critical"
    }
  }
}
HCL
spec=(-config "$work/spec")

step "redisplan lint (the spec's own review)"
run lint "${spec[@]}"
expect 0
key "lint: $(tail -n 1 "$work/out")"

step "redisplan plan"
run plan "${spec[@]}"
expect 0
key "plan: $(grep '^Plan:' "$work/out" | sed 's/^Plan: //')"

step "redisplan apply -auto-approve"
run apply -auto-approve "${spec[@]}"
expect 0
key "apply: $(grep '^Apply complete' "$work/out")"

step "someone runs CONFIG SET maxmemory 64mb behind redisplan's back; plan sees it, apply puts it back"
cli config set maxmemory 64mb
run plan -detailed-exitcode "${spec[@]}"
expect 2
run apply -auto-approve "${spec[@]}"
expect 0
key "drift: maxmemory was 64mb behind redisplan's back, plan exited 2, and it is $(cli config get maxmemory | tail -n 1) bytes (256mb) again"

step "redisplan check -notify (no backup and no archive yet: the backup_age and archive_lag alerts fire)"
run check -notify "${spec[@]}"
expect 2
alerts >"$work/got"
cat "$work/got"
key "check: $(grep '^Overall' "$work/out"); the webhook got: $(grep -m 1 'backup_age' "$work/got")"

step "the application writes 10000 keys"
seq 1 10000 | awk '{ printf "SET order:%d %d\n", $1, $1 * 7 }' | cli --pipe
key "data: $(cli dbsize) keys"

step "redisplan backup run"
run backup run "${spec[@]}"
expect 0
key "backup: $(grep -m 1 'complete:' "$work/out" | sed 's/^redis\.demo: //')"

step "redisplan archive -target demo, in the background: the write stream into the backup destination"
"$bin" archive -target demo "${spec[@]}" >"$work/archive.log" 2>&1 &
archpid=$!
echo "archiver: PID $archpid"
# It is following once the server lists it as an online replica.
for _ in $(seq 1 300); do
  cli info replication | tr -d '\r' | grep -q '^slave0:.*state=online' && break
  kill -0 "$archpid" 2>/dev/null || { echo "demo: the archiver stopped:" >&2; cat "$work/archive.log" >&2; exit 1; }
  sleep 0.1
done
cli info replication | tr -d '\r' | grep -q '^slave0:.*state=online' || { echo "demo: the archiver did not start following:" >&2; cat "$work/archive.log" >&2; exit 1; }
seq 10001 10500 | awk '{ printf "SET order:%d %d\n", $1, $1 * 7 }' | cli --pipe
# WAIT 1 returns 1 once the archiver acknowledged the writes: they are
# committed to the destination (a segment is committed within flush, 1s,
# of its first write, so a busy machine may need a second WAIT).
acked=$(archived)
key "archive: 500 more keys written after the backup ($(cli dbsize) keys), WAIT 1 1000 says $acked replica (the archiver) has them committed"

step "a mistaken FLUSHALL, a few seconds later"
# The time to go back to: a second after the writes, a second before the
# FLUSHALL.
sleep 1
before=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1
cli flushall
# The archive reaches past the FLUSHALL, so the second before it is in
# its recoverable window.
archived >/dev/null
echo "the last second before it: $before"
key "FLUSHALL: $(cli dbsize) keys left"

step "redisplan restore -to-time $before -auto-approve (a base backup plus the archived writes up to that second, verified while staged, keys checked after)"
run restore -target demo -to-time "$before" -auto-approve "${spec[@]}"
expect 0
key "restore -to-time $before: base backup verified while staged, $(grep -o -m 1 '[0-9]* writes replayed' "$work/out") from the archive, loaded in $(grep -o -m 1 'Restore complete in [0-9.]*s' "$work/out" | grep -o '[0-9.]*s$'), the server answered no one for $(grep -o -m 1 'answered no one for [0-9.]*s' "$work/out" | grep -o '[0-9.]*s$'); $(cli dbsize) keys back"

step "redisplan check -notify (a verified backup now: the alert resolves)"
run check -notify "${spec[@]}"
expect 0
alerts >"$work/got"
cat "$work/got"
key "check: $(grep '^Overall' "$work/out"); the webhook got: $(grep -m 1 'backup_age' "$work/got")"

printf '\n%s==> Summary (%ds)%s\n' "$bold" "$((SECONDS - started))" "$plain"
for f in "${figures[@]}"; do
  echo "$f"
done
echo
echo "Demo finished; the throwaway server, its backups and the receiver are removed."

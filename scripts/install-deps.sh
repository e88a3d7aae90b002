#!/usr/bin/env bash
# Installs what redisplan's tests and demo need on Debian/Ubuntu: a real
# redis-server and redis-cli, promtool (Debian's prometheus package),
# which checks the alerting rules redisplan renders, systemd-analyze
# (Debian's systemd package), which checks its timers, and versitygw, the
# S3-compatible server the S3 backend is tested against, and the other server
# engines the tests run on (scripts/install-engines.sh). Does nothing when
# they are already there.
#
# --bench adds what only `make bench` needs, not the tests: ansible
# (Debian's package, with its bundled collections, community.general
# among them) and python3-redis, which its redis module needs, to run the
# Ansible check-mode alternative beside `redisplan plan`
# (testdata/bench/ansible).
set -euo pipefail

bench=false
for arg in "$@"; do
  case "$arg" in
    --bench) bench=true ;;
    *) echo "install-deps.sh: unknown argument $arg (known: --bench)" >&2; exit 2 ;;
  esac
done

# versitygw is built from source once, with the Go toolchain, into the
# cache directory that the tests look in (internal/s3test).
VERSITYGW_VERSION=v1.8.0
cache_bin="${XDG_CACHE_HOME:-$HOME/.cache}/redisplan/bin"
if [ -z "${REDISPLAN_VERSITYGW:-}" ] && ! command -v versitygw >/dev/null 2>&1 && [ ! -x "$cache_bin/versitygw" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "versitygw is missing and there is no go toolchain to build it: install Go, or build versitygw $VERSITYGW_VERSION and set REDISPLAN_VERSITYGW to its path." >&2
    exit 1
  fi
  echo "Building versitygw $VERSITYGW_VERSION into $cache_bin (once; takes a few minutes)..." >&2
  mkdir -p "$cache_bin"
  # Its own module, not this one's: a throwaway GOFLAGS keeps a -mod
  # setting of the caller from applying to it.
  GOFLAGS= GOBIN="$cache_bin" go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
fi

# The other engines (Redis 8.0, Valkey 8.0 and 8.1) go into the cache
# directory without touching the system or its apt state.
"$(dirname "$0")/install-engines.sh"

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# systemd-analyze checks the systemd timers redisplan renders. The systemd
# package alone does not become the init system (systemd-sysv would), and
# nothing here starts it.
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
if $bench; then
  command -v ansible-playbook >/dev/null 2>&1 || missing+=(ansible)
  # The playbook runs its modules with ansible's own Python (the
  # interpreter named on ansible-playbook's first line), not whichever
  # python3 comes first on PATH.
  ansible_python=/usr/bin/python3
  if command -v ansible-playbook >/dev/null 2>&1; then
    ansible_python=$(sed -n '1s/^#! *//p' "$(command -v ansible-playbook)")
  fi
  $ansible_python -c 'import redis' >/dev/null 2>&1 || missing+=(python3-redis)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing: ${missing[*]}, and this is not a Debian-like system: install Redis >= 7.0 (redis-server, redis-cli), promtool, systemd-analyze (and ansible-playbook with python3's redis module for --bench), and put them on PATH." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "Installing ${missing[*]} with apt-get..." >&2
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}"

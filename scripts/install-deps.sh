#!/usr/bin/env bash
# Installs what redisplan's tests and demo need on Debian/Ubuntu: a real
# redis-server and redis-cli, and promtool (Debian's prometheus package),
# which checks the alerting rules redisplan renders, and systemd-analyze
# (Debian's systemd package), which checks its timers. Does nothing when
# they are already there.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# systemd-analyze checks the systemd timers redisplan renders. The systemd
# package alone does not become the init system (systemd-sysv would), and
# nothing here starts it.
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing: ${missing[*]}, and this is not a Debian-like system: install Redis >= 7.0 (redis-server, redis-cli) and promtool, and put them on PATH." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "Installing ${missing[*]} with apt-get..." >&2
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}"

#!/usr/bin/env bash
# Installs what redisplan's tests and demo need on Debian/Ubuntu: a real
# redis-server (and redis-cli). Does nothing when they are already there.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing and this is not a Debian-like system: install Redis >= 7.0 and put redis-server on PATH." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "Installing redis-server and redis-tools with apt-get..." >&2
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y redis-server redis-tools

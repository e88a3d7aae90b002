#!/usr/bin/env bash
# Installs the server engines the tests run on, besides the system's
# redis-server 7.0, into ${XDG_CACHE_HOME:-~/.cache}/redisplan/engines/:
#
#   redis-8.0   Redis 8.0 (Debian 13 "trixie": redis-server, redis-tools)
#   valkey-8.0  Valkey 8.0 (Debian 12 "bookworm-backports": valkey-server, valkey-tools)
#   valkey-8.1  Valkey 8.1 (Debian 13 "trixie": valkey-server, valkey-tools)
#
# Each folder has bin/<engine>-server, bin/<engine>-cli,
# bin/<engine>-check-rdb and bin/<engine>-check-aof. Packages are fetched
# with `apt-get download` through a private apt configuration (its own
# sources list, lists and cache, in a temporary directory), so the system's
# apt state is not changed, and unpacked with `dpkg -x`. The trixie builds
# need a newer C library than Debian 12's: they are unpacked together with
# trixie's libraries and run through that tree's own loader by small
# wrapper scripts. The Debian mirror is the one the system's apt already
# uses (/etc/apt/sources.list*); REDISPLAN_DEBIAN_MIRROR and
# REDISPLAN_DEBIAN_SECURITY_MIRROR override it.
#
# Does nothing for an engine that is already installed and prints its
# version. With REDISPLAN_SKIP_ENGINES=1 it does nothing at all.
set -euo pipefail

if [ "${REDISPLAN_SKIP_ENGINES:-}" = 1 ]; then
  exit 0
fi

engines="${XDG_CACHE_HOME:-$HOME/.cache}/redisplan/engines"

# name engine want-version suite-set packages...
# The trixie set also unpacks the C library and the libraries the servers
# link against, so the tree runs on its own loader.
trixie_libs="libc6 libstdc++6 libgcc-s1 libatomic1 libssl3t64 libsystemd0 libjemalloc2 liblzf1 liblua5.1-0 libhiredis1.1.0 libcap2 libzstd1 zlib1g"

die() {
  echo "install-engines: $*" >&2
  exit 1
}

# installed name engine want: the engine answers --version with want.x.
installed() {
  local dir="$engines/$1" engine=$2 want=$3 out
  [ -x "$dir/bin/$engine-server" ] && [ -x "$dir/bin/$engine-cli" ] || return 1
  out=$("$dir/bin/$engine-server" --version 2>/dev/null) || return 1
  case "$out" in
    *" v=$want."*) ;;
    *) return 1 ;;
  esac
  "$dir/bin/$engine-cli" --version >/dev/null 2>&1 || return 1
}

todo=()
installed redis-8.0 redis 8.0 || todo+=(redis-8.0)
installed valkey-8.0 valkey 8.0 || todo+=(valkey-8.0)
installed valkey-8.1 valkey 8.1 || todo+=(valkey-8.1)
if [ ${#todo[@]} -eq 0 ]; then
  exit 0
fi

command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 ||
  die "missing engines (${todo[*]}) and no apt-get/dpkg to fetch them: this needs a Debian-like system; set REDISPLAN_SKIP_ENGINES=1 to run the tests without them"

case "$(dpkg --print-architecture)" in
  amd64) multiarch=x86_64-linux-gnu loader=ld-linux-x86-64.so.2 ;;
  arm64) multiarch=aarch64-linux-gnu loader=ld-linux-aarch64.so.1 ;;
  *) die "unsupported architecture $(dpkg --print-architecture): install Redis 8.0 and Valkey 8.0/8.1 under $engines by hand, or set REDISPLAN_SKIP_ENGINES=1" ;;
esac

# The Debian mirrors the system's apt uses: the first URI serving a plain
# suite (bookworm, trixie, ...) and the first serving a -security suite,
# from both the one-line and the deb822 formats.
apt_uris() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    # deb [options] URI suite components...
    sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\)[[:space:]]\+\([^[:space:]]\+\).*/\2 \3/p' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk 'BEGIN { IGNORECASE = 1 }
      function flush() { if (types ~ /(^| )deb( |$)/) { n = split(uris, u, " "); m = split(suites, s, " "); for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j] } types = uris = suites = "" }
      /^[[:space:]]*$/ { flush(); next }
      /^Types:/ { sub(/^Types:[[:space:]]*/, ""); types = $0 }
      /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
      /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
      END { flush() }' "$f"
  done
}
mirror=${REDISPLAN_DEBIAN_MIRROR:-$(apt_uris | awk '$2 ~ /^[a-z]+$/ { print $1; exit }')}
security=${REDISPLAN_DEBIAN_SECURITY_MIRROR:-$(apt_uris | awk '$2 ~ /^[a-z]+-security$/ { print $1; exit }')}
[ -n "$mirror" ] || die "cannot find a Debian mirror in /etc/apt/sources.list*: set REDISPLAN_DEBIAN_MIRROR to one (for example the URI of your 'bookworm' line)"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "$keyring is missing: install debian-archive-keyring"

work=$(mktemp -d "${TMPDIR:-/tmp}/redisplan-engines.XXXXXX")
trap 'rm -rf "$work"' EXIT

# fetch set name packages...: downloads the packages of a suite set into
# $work/<name>.debs through a private apt configuration ($work/<set>).
fetch() {
  local set=$1 name=$2
  shift 2
  local root="$work/$set"
  local debs="$work/$name.debs"
  mkdir -p "$root/lists/partial" "$root/cache/archives/partial" "$root/parts" "$root/prefs" "$debs"
  {
    case "$set" in
      trixie)
        echo "deb [signed-by=$keyring] $mirror trixie main"
        echo "deb [signed-by=$keyring] $mirror trixie-updates main"
        if [ -n "$security" ]; then
          echo "deb [signed-by=$keyring] $security trixie-security main"
        fi
        ;;
      bookworm-backports)
        echo "deb [signed-by=$keyring] $mirror bookworm-backports main"
        ;;
    esac
  } >"$root/sources.list"
  local opts=(
    -o "Dir::Etc::SourceList=$root/sources.list"
    -o "Dir::Etc::SourceParts=$root/parts"
    -o "Dir::Etc::Preferences=$root/prefs/none"
    -o "Dir::Etc::PreferencesParts=$root/prefs"
    -o "Dir::State::Lists=$root/lists"
    -o "Dir::Cache=$root/cache"
    -o "Acquire::Languages=none"
    -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false"
    -o "APT::Sandbox::User=root"
  )
  echo "install-engines: fetching $* from $set..." >&2
  if [ ! -e "$root/updated" ]; then
    apt-get -q "${opts[@]}" update >"$root/update.log" 2>&1 || {
      cat "$root/update.log" >&2
      die "apt-get update of the private $set sources failed (above)"
    }
    touch "$root/updated"
  fi
  (cd "$debs" && apt-get -q "${opts[@]}" download "$@") >"$root/download.log" 2>&1 || {
    cat "$root/download.log" >&2
    die "apt-get download $* from $set failed (above)"
  }
}

# wrapper path tree-binary argv0: an executable that runs the tree's
# binary through the tree's own loader and libraries. exec keeps the PID,
# so a test that stops the server by PID stops the server itself.
wrapper() {
  local path=$1 binary=$2 argv0=$3
  cat >"$path" <<EOF
#!/bin/sh
# Runs $argv0 from the Debian packages unpacked beside this folder, on their
# own C library (written by redisplan's scripts/install-engines.sh).
tree=\$(cd "\$(dirname "\$(readlink -f "\$0")")/.." && pwd -P)
lib="\$tree/usr/lib/$multiarch"
exec "\$lib/$loader" --library-path "\$lib" --argv0 "\$tree/bin/$argv0" "\$tree/usr/bin/$binary" "\$@"
EOF
  chmod 0755 "$path"
}

# install name engine want set: unpacks the fetched packages of set into a
# staging folder, adds bin/, checks the version and moves it in place.
install() {
  local name=$1 engine=$2 want=$3 set=$4
  local stage="$engines/.$name.staging"
  rm -rf "$stage"
  mkdir -p "$stage/bin"
  local deb
  for deb in "$work/$name.debs/"*.deb; do
    dpkg -x "$deb" "$stage"
  done
  [ -x "$stage/usr/bin/$engine-check-rdb" ] || die "$name: the packages have no usr/bin/$engine-check-rdb"
  local tool
  if [ "$set" = trixie ]; then
    # The server is the check-rdb binary, chosen by its name.
    wrapper "$stage/bin/$engine-server" "$engine-check-rdb" "$engine-server"
    for tool in cli check-rdb check-aof; do
      wrapper "$stage/bin/$engine-$tool" "$engine-$tool" "$engine-$tool"
    done
  else
    # Built for Debian 12: runs natively on the system's libraries.
    ln -s ../usr/bin/$engine-check-rdb "$stage/bin/$engine-server"
    for tool in cli check-rdb check-aof; do
      ln -s "../usr/bin/$engine-$tool" "$stage/bin/$engine-$tool"
    done
  fi
  local out
  out=$("$stage/bin/$engine-server" --version 2>&1) || die "$name: $engine-server --version failed: $out"
  case "$out" in
    *" v=$want."*) ;;
    *) die "$name: $engine-server --version printed \"$out\", want version $want.x" ;;
  esac
  "$stage/bin/$engine-cli" --version >/dev/null 2>&1 || die "$name: $engine-cli --version failed"
  rm -rf "${engines:?}/$name"
  mv "$stage" "$engines/$name"
  echo "install-engines: $name installed in $engines/$name: $out" >&2
}

mkdir -p "$engines"
for name in "${todo[@]}"; do
  case "$name" in
    redis-8.0)
      fetch trixie redis-8.0 redis-server redis-tools $trixie_libs
      install redis-8.0 redis 8.0 trixie
      ;;
    valkey-8.1)
      fetch trixie valkey-8.1 valkey-server valkey-tools $trixie_libs
      install valkey-8.1 valkey 8.1 trixie
      ;;
    valkey-8.0)
      fetch bookworm-backports valkey-8.0 valkey-server valkey-tools
      install valkey-8.0 valkey 8.0 bookworm-backports
      ;;
  esac
done

#!/usr/bin/env bash
# Builds release archives into dist/: static binaries (CGO_ENABLED=0) for
# linux amd64/arm64 and darwin arm64, each with the LICENSE, README, the
# manual page and the shell completions, and SHA256SUMS over them. Also
# puts what Dockerfile needs (the linux binaries and the CA bundle) there,
# so that `docker build -f Dockerfile dist` makes the image without
# network access.
#
# VERSION names the release (default: git describe, e.g. v0.3.0 or
# v0.3.0-4-gabc123-dirty); it is stamped into the binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

VERSION="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
PLATFORMS="${PLATFORMS:-linux/amd64 linux/arm64 darwin/arm64}"
ldflags="-s -w -X github.com/redisplan/redisplan/internal/version.release=$VERSION"

rm -rf dist
mkdir -p dist/extra/completions
# The manual page and completions come from the help text, through a
# binary for this machine.
go build -trimpath -buildvcs=auto -ldflags "$ldflags" -o dist/extra/redisplan ./cmd/redisplan
dist/extra/redisplan man > dist/extra/redisplan.1
for shell in bash zsh fish; do
  dist/extra/redisplan completion "$shell" > "dist/extra/completions/redisplan.$shell"
done
rm dist/extra/redisplan

for platform in $PLATFORMS; do
  os="${platform%/*}" arch="${platform#*/}"
  name="redisplan_${VERSION}_${os}_${arch}"
  stage="dist/$name"
  mkdir -p "$stage"
  echo "building $name" >&2
  CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" go build -trimpath -buildvcs=auto -ldflags "$ldflags" -o "$stage/redisplan" ./cmd/redisplan
  cp LICENSE README.md CHANGELOG.md dist/extra/redisplan.1 "$stage/"
  cp -r dist/extra/completions "$stage/"
  tar -C dist -czf "dist/$name.tar.gz" --owner=0 --group=0 --mtime='2000-01-01 00:00:00Z' "$name"
  if [ "$os" = linux ]; then
    mkdir -p "dist/linux_$arch"
    cp "$stage/redisplan" "dist/linux_$arch/redisplan"
  fi
  rm -rf "$stage"
done
rm -rf dist/extra
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt dist/ca-certificates.crt
fi
(cd dist && sha256sum -- *.tar.gz > SHA256SUMS)
echo "release $VERSION:" >&2
cat dist/SHA256SUMS >&2

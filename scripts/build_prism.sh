#!/usr/bin/env bash
# Builds Beam's Prism runner (a Go binary) into the project cache, offline-safe:
# only the Go module proxy is needed. Idempotent: an existing binary of the
# wanted version is kept. Prints the binary's path on stdout (last line).
#
#   scripts/build_prism.sh            # -> .cache/bin/prism
#   PRISM_VERSION=v2.77.0 PRISM_BIN_DIR=/some/dir scripts/build_prism.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VERSION=${PRISM_VERSION:-v2.77.0}
BIN_DIR=${PRISM_BIN_DIR:-$ROOT/.cache/bin}
BIN=$BIN_DIR/prism
STAMP=$BIN_DIR/.prism-version

if [[ -x $BIN && -f $STAMP && $(cat "$STAMP") == "$VERSION" ]]; then
    echo "$BIN"
    exit 0
fi
command -v go >/dev/null || { echo "build_prism.sh: go is not installed" >&2; exit 1; }
mkdir -p "$BIN_DIR"
started=$(date +%s)
# -p 1 / GOMAXPROCS: the machine's cores are shared; a slower build is fine
GOBIN=$BIN_DIR GOFLAGS="${GOFLAGS:-} -buildvcs=false" \
    go install -p "${PRISM_BUILD_JOBS:-1}" "github.com/apache/beam/sdks/v2/go/cmd/prism@$VERSION" >&2
echo "$VERSION" >"$STAMP"
echo "build_prism.sh: built prism $VERSION in $(( $(date +%s) - started )) s" >&2
echo "$BIN"

#!/usr/bin/env bash
# Fetches Apache Kafka (broker + clients + tools, with every transitive jar) from
# Maven Central into .cache/kafka/<version>/libs — no tarball download needed.
# Idempotent: a complete cache is kept. Prints the libs directory (last line).
#
#   deploy/kafka/fetch.sh                 # KAFKA_VERSION defaults to 4.1.1
#   KAFKA_VERSION=4.4.0 deploy/kafka/fetch.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VERSION=${KAFKA_VERSION:-4.1.1}
CACHE=${KAFKA_CACHE:-$ROOT/.cache/kafka}/$VERSION
LIBS=$CACHE/libs
STAMP=$CACHE/.complete

if [[ -f $STAMP && -f $LIBS/kafka_2.13-$VERSION.jar ]]; then
    echo "$LIBS"
    exit 0
fi
command -v mvn >/dev/null || { echo "fetch.sh: mvn is not installed" >&2; exit 1; }
rm -rf "$LIBS.partial"
mkdir -p "$CACHE"
started=$(date +%s)
mvn -q -B -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies \
    -Dkafka.version="$VERSION" -DincludeScope=runtime -DoutputDirectory="$LIBS.partial" >&2
rm -rf "$LIBS"
mv "$LIBS.partial" "$LIBS"
date -u +%FT%TZ >"$STAMP"
echo "fetch.sh: Kafka $VERSION: $(ls "$LIBS" | wc -l) jars in $(( $(date +%s) - started )) s" >&2
echo "$LIBS"

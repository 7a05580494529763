#!/usr/bin/env bash
# Fetches everything the Flink runner needs into the cache (deploy/flink/env.sh), once:
#   1. Beam's Flink job server: the runner and its dependencies from Maven Central
#      (mvn -f deploy/flink/jobserver-pom.xml dependency:copy-dependencies), plus a
#      launcher jar whose manifest names them, usable as --flink_job_server_jar;
#   2. a Flink distribution for the local session cluster: lib/ from PyPI's
#      apache-flink-libraries sdist, bin/ and conf/ from the apache-flink wheel
#      (both downloaded with pip, nothing installed).
# Idempotent: each part is skipped when its stamp file is there. `--force` refetches.
# Usage: deploy/flink/fetch.sh [--force] [--print]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"

FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --print) printf 'FLINK_JOB_SERVER_JAR=%s\nFLINK_HOME_DIR=%s\n' "$FLINK_JOB_SERVER_JAR" "$FLINK_HOME_DIR"; exit 0 ;;
    *) echo "usage: $0 [--force] [--print]" >&2; exit 2 ;;
  esac
done

log() { echo "[flink-fetch] $*" >&2; }

pip_cmd() {
  if [ -x "$ROOT/.venv/bin/pip" ]; then "$ROOT/.venv/bin/pip" "$@"; else python3 -m pip "$@"; fi
}

fetch_job_server() {
  local stamp="$FLINK_JOB_SERVER_DIR/.complete"
  if [ "$FORCE" = 0 ] && [ -f "$stamp" ] && [ -f "$FLINK_JOB_SERVER_JAR" ]; then
    log "job server present: $FLINK_JOB_SERVER_JAR"
    return
  fi
  local tmp="$FLINK_JOB_SERVER_DIR.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp/lib"
  log "resolving org.apache.beam:beam-runners-flink-$FLINK_MINOR:$BEAM_JOB_SERVER_VERSION and its dependencies (mvn)"
  # -U: Maven caches "not found" answers; retry them instead of trusting an old failure
  mvn -B -q -U -f "$HERE/jobserver-pom.xml" \
    "-Dbeam.version=$BEAM_JOB_SERVER_VERSION" "-Dflink.minor=$FLINK_MINOR" \
    dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=$tmp/lib" >&2
  local runner="$tmp/lib/beam-runners-flink-$FLINK_MINOR-$BEAM_JOB_SERVER_VERSION.jar"
  [ -f "$runner" ] || { log "missing $runner after mvn"; exit 1; }

  # launcher jar: Main-Class + Class-Path (relative to the jar) wrapped at 72 bytes a line
  {
    echo "Manifest-Version: 1.0"
    echo "Main-Class: org.apache.beam.runners.flink.FlinkJobServerDriver"
    (cd "$tmp" && printf 'Class-Path:'; for jar in lib/*.jar; do printf ' %s' "$jar"; done; echo) |
      awk '{ line = $0; print substr(line, 1, 70); line = substr(line, 71);
             while (length(line) > 0) { print " " substr(line, 1, 69); line = substr(line, 70) } }'
  } > "$tmp/MANIFEST.MF"
  (cd "$tmp" && jar --create --file "$(basename "$FLINK_JOB_SERVER_JAR")" --manifest MANIFEST.MF && rm MANIFEST.MF)
  rm -rf "$FLINK_JOB_SERVER_DIR" && mv "$tmp" "$FLINK_JOB_SERVER_DIR"
  touch "$stamp"
  log "job server: $FLINK_JOB_SERVER_JAR ($(ls "$FLINK_JOB_SERVER_DIR/lib" | wc -l) jars, $(du -sh "$FLINK_JOB_SERVER_DIR" | cut -f1))"
}

fetch_flink_dist() {
  local stamp="$FLINK_HOME_DIR/.complete"
  if [ "$FORCE" = 0 ] && [ -f "$stamp" ]; then
    log "Flink distribution present: $FLINK_HOME_DIR"
    return
  fi
  local downloads="$FLINK_CACHE/downloads"
  mkdir -p "$downloads"
  log "downloading apache-flink-libraries==$FLINK_DIST_VERSION (sdist, ~230 MB) and apache-flink==$FLINK_DIST_VERSION (wheel) with pip"
  pip_cmd download --quiet --no-deps --no-binary :all: -d "$downloads" "apache-flink-libraries==$FLINK_DIST_VERSION" >&2
  # bin/ and conf/ are the same in every wheel of a version; take any one for this machine
  pip_cmd download --quiet --no-deps --only-binary :all: -d "$downloads" "apache-flink==$FLINK_DIST_VERSION" >&2
  local sdist="$downloads/apache-flink-libraries-$FLINK_DIST_VERSION.tar.gz"
  local wheel
  wheel="$(ls "$downloads"/apache_flink-"$FLINK_DIST_VERSION"-*.whl | head -n 1)"

  local tmp="$FLINK_HOME_DIR.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp/x"
  tar -xzf "$sdist" -C "$tmp/x" --wildcards '*/deps/lib/*' '*/deps/bin/*'
  mv "$tmp/x/apache-flink-libraries-$FLINK_DIST_VERSION/deps/lib" "$tmp/lib"
  (cd "$tmp/x" && python3 -m zipfile -e "$wheel" .)
  mv "$tmp/x/pyflink/bin" "$tmp/bin"
  mv "$tmp/x/pyflink/conf" "$tmp/conf"
  cp "$tmp/x/apache-flink-libraries-$FLINK_DIST_VERSION/deps/bin/bash-java-utils.jar" "$tmp/bin/"
  rm -rf "$tmp/x"
  chmod +x "$tmp"/bin/*.sh "$tmp/bin/flink"
  [ -f "$tmp/lib/flink-dist-$FLINK_DIST_VERSION.jar" ] || { log "no flink-dist jar in $sdist"; exit 1; }
  rm -rf "$FLINK_HOME_DIR" && mv "$tmp" "$FLINK_HOME_DIR"
  rm -f "$sdist" "$wheel"
  touch "$stamp"
  log "Flink distribution: $FLINK_HOME_DIR ($(du -sh "$FLINK_HOME_DIR" | cut -f1))"
}

command -v mvn >/dev/null || { log "mvn not found (apt-get install maven)"; exit 1; }
command -v java >/dev/null || { log "java not found (apt-get install openjdk-17-jdk-headless)"; exit 1; }
mkdir -p "$FLINK_CACHE"
fetch_job_server
fetch_flink_dist
printf 'FLINK_JOB_SERVER_JAR=%s\nFLINK_HOME_DIR=%s\n' "$FLINK_JOB_SERVER_JAR" "$FLINK_HOME_DIR"

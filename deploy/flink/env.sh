# Versions and cache paths for the Flink runner; sourced by the scripts in deploy/flink/
# and read by tests/test_flink.py (`bash -c 'source deploy/flink/env.sh; ...'`).
#
# Why these versions: the machines here reach Maven Central only in part. It serves no
# `beam-runners-flink-<flink>-job-server` jar at any version, and of the unshaded runner
# `beam-runners-flink-<flink>` only 1.19 at 2.62.0 and 2.70.0; 2.62.0 is the one whose
# transitive dependencies (beam-runners-java-job-service 2.62.0, ...) are all served.
# A 2.62 Java job server runs this project's 2.77 Python pipelines (portable Fn API).
# The session cluster is Flink 1.19.3, the newest 1.19 patch; its jars come from PyPI's
# apache-flink-libraries sdist, its bin/ and conf/ from the apache-flink wheel.

: "${BEAM_JOB_SERVER_VERSION:=2.62.0}"
: "${FLINK_MINOR:=1.19}"
: "${FLINK_DIST_VERSION:=1.19.3}"

# default: .cache/flink in the repository (gitignored), like the other runners' caches;
# FLINK_CACHE=... moves it (e.g. to ~/.cache/newsfeed/flink to share it between clones)
_flink_repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${FLINK_CACHE:=$_flink_repo_root/.cache/flink}"

# job server: lib/ with every jar + a launcher jar (manifest Class-Path) for `java -jar`
FLINK_JOB_SERVER_DIR="$FLINK_CACHE/beam-${BEAM_JOB_SERVER_VERSION}-flink-${FLINK_MINOR}"
FLINK_JOB_SERVER_JAR="$FLINK_JOB_SERVER_DIR/beam-runners-flink-${FLINK_MINOR}-job-server-${BEAM_JOB_SERVER_VERSION}.jar"
# a Flink distribution (bin/ conf/ lib/) for the local session cluster
FLINK_HOME_DIR="$FLINK_CACHE/flink-${FLINK_DIST_VERSION}"
# per-cluster config, logs and pid files (one directory per REST port)
: "${FLINK_RUN_ROOT:=$FLINK_CACHE/run}"

export BEAM_JOB_SERVER_VERSION FLINK_MINOR FLINK_DIST_VERSION FLINK_CACHE \
  FLINK_JOB_SERVER_DIR FLINK_JOB_SERVER_JAR FLINK_HOME_DIR FLINK_RUN_ROOT

#!/usr/bin/env bash
# Builds the Airflow environment that schedules the job, once, into .cache/airflow/venv
# (gitignored): Python 3.11 + deploy/airflow/requirements.txt (every package pinned,
# installed with --no-deps, then `pip check`). Idempotent: an environment built from
# the same requirements file is kept (stamp = its sha256). Prints the venv path on
# stdout (last line). Apart from the job's .venv: Airflow is not a job dependency.
#
#   deploy/airflow/build-env.sh             # -> .cache/airflow/venv
#   AIRFLOW_VENV=/opt/airflow-venv deploy/airflow/build-env.sh
#   deploy/airflow/build-env.sh --relock    # re-resolve apache-airflow==$AIRFLOW_VERSION, rewrite the pins
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
REQUIREMENTS=$ROOT/deploy/airflow/requirements.txt
VENV=${AIRFLOW_VENV:-$ROOT/.cache/airflow/venv}
PYTHON=${PYTHON:-python3}
AIRFLOW_VERSION=${AIRFLOW_VERSION:-3.3.2}
STAMP=$VENV/.requirements.sha256

"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
    echo "build-env.sh: the pins are for Python 3.11; $PYTHON is $("$PYTHON" -V 2>&1) (set PYTHON=python3.11)" >&2
    exit 1
}

if [[ ${1:-} == --relock ]]; then
    tmp=$(mktemp -d)
    "$PYTHON" -m venv "$tmp/venv"
    "$tmp/venv/bin/pip" install --quiet "apache-airflow==$AIRFLOW_VERSION" >&2
    { sed -n '/^#/p' "$REQUIREMENTS"; "$tmp/venv/bin/pip" freeze --all | grep -v -E '^(pip|setuptools|wheel)=='; } >"$tmp/requirements.txt"
    mv "$tmp/requirements.txt" "$REQUIREMENTS"
    rm -rf "$tmp"
    echo "build-env.sh: $REQUIREMENTS relocked ($(grep -c '==' "$REQUIREMENTS") packages)" >&2
fi

want=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
if [[ -x $VENV/bin/airflow && -f $STAMP && $(cat "$STAMP") == "$want" ]]; then
    echo "$VENV"
    exit 0
fi
started=$(date +%s)
# built in place (a venv's scripts name its path), the stamp written last marks it complete
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$REQUIREMENTS" >&2
"$VENV/bin/pip" check --disable-pip-version-check >&2
echo "$want" >"$STAMP"
echo "build-env.sh: Airflow $AIRFLOW_VERSION in $VENV ($(du -sh "$VENV" | cut -f1), $(( $(date +%s) - started )) s)" >&2
echo "$VENV"

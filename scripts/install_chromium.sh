#!/usr/bin/env bash
# Debian's chromium for the report's browser test (tests/pipelines/test_report_browser.py).
# Idempotent; needs root and apt (CI runs as root). Elsewhere it says what to do and exits 0:
# the browser test then skips with that reason (outside CI) or fails (under CI=true).
set -euo pipefail
for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null 2>&1; then
        exit 0
    fi
done
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium (apt-get) for the report's browser test" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
else
    echo "chromium not found and cannot apt-get install it here (needs root + apt):" \
         "install Debian's chromium to run the report's browser test" >&2
fi

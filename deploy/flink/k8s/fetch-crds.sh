#!/usr/bin/env bash
# The Flink Kubernetes Operator's CRD schemas, for validating the manifests of this
# directory offline (tests/deploy/test_k8s_manifests.py): Maven Central's
# org.apache.flink:flink-kubernetes-operator-api jar carries them as
# META-INF/fabric8/<plural>.flink.apache.org-v1.yml (CustomResourceDefinition objects
# with an openAPIV3Schema per version). 1.10.0: the newest that resolves here.
# Idempotent (stamp file); prints the directory on stdout (last line).
#   deploy/flink/k8s/fetch-crds.sh            # -> .cache/flink-operator/1.10.0/
set -euo pipefail
cd "$(dirname "$0")/../../.."
VERSION=${FLINK_OPERATOR_VERSION:-1.10.0}
DIR=${FLINK_OPERATOR_CRD_DIR:-$PWD/.cache/flink-operator/$VERSION}
STAMP=$DIR/.complete

if [[ -f $STAMP ]]; then
    echo "$DIR"
    exit 0
fi
command -v mvn >/dev/null || { echo "fetch-crds.sh: mvn is not installed" >&2; exit 1; }
tmp="$DIR.tmp.$$"
rm -rf "$tmp" && mkdir -p "$tmp"
mvn -B -q dependency:copy "-Dartifact=org.apache.flink:flink-kubernetes-operator-api:$VERSION" \
    "-DoutputDirectory=$tmp" >&2
jar="$tmp/flink-kubernetes-operator-api-$VERSION.jar"
python3 - "$jar" "$tmp" <<'PY'
import pathlib, sys, zipfile
jar, out = sys.argv[1], pathlib.Path(sys.argv[2])
with zipfile.ZipFile(jar) as archive:
    for name in archive.namelist():
        if name.startswith("META-INF/fabric8/") and name.endswith("-v1.yml"):
            (out / name.rsplit("/", 1)[1]).write_bytes(archive.read(name))
PY
rm -f "$jar"
ls "$tmp"/*.yml >/dev/null
rm -rf "$DIR" && mv "$tmp" "$DIR"
touch "$STAMP"
echo "fetch-crds.sh: Flink Kubernetes Operator $VERSION CRDs in $DIR" >&2
echo "$DIR"

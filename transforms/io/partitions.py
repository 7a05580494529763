"""Run-date partitions: ``OUTPUT/<kind>/dt=YYYY-MM-DD/``, published whole.

A dated run writes every record kind into a staging directory of its own,
``OUTPUT/_staging/dt=YYYY-MM-DD.<run id>/<kind>/`` (readers skip names starting with
``_``, as Hive, Spark and DuckDB's Hive partitioning do). ``PublishPartition``, the
pipeline's last step, runs once every shard is written:

1. removes what failed write attempts left in the staging directory;
2. takes each file's size and blake2b digest (the manifest lists them);
3. moves each kind's staging directory to ``OUTPUT/<kind>/dt=…``; a partition that
   is already there (a rerun) is moved aside first and deleted at the end;
4. writes ``_SUCCESS`` into each partition, then the run manifest (``ledger``).

On a local or POSIX filesystem step 3 is one directory rename per kind, so a reader
sees the old partition or the new one, never half of one (between the two renames of
a rerun the partition is briefly absent). Object stores (``gs://``, ``s3://``) have no
directories: there the files are renamed one by one, and ``_SUCCESS`` is what says a
partition is complete. Every step can run again after a failure (a retried bundle).
"""

from __future__ import annotations

import hashlib
from typing import Any, Dict, List, Sequence

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from transforms.io import ledger

PARTITION_PREFIX = "dt="


STAGING_DIR = "_staging"


SUCCESS = "_SUCCESS"


REPLACED = "_replaced"  # inside the staging directory: a rerun's previous partition, until deleted


def partition_path(output: str, kind: str, run_date: str) -> str:
    return FileSystems.join(output, kind, f"{PARTITION_PREFIX}{run_date}")


def staging_path(output: str, run_date: str, run_id: str) -> str:
    return FileSystems.join(output, STAGING_DIR, f"{PARTITION_PREFIX}{run_date}.{run_id}")


def _is_local(path: str) -> bool:
    return FileSystems.get_scheme(path) in (None, "file")


def _files_under(directory: str) -> List[str]:
    """Every file below a directory (or object prefix), sorted."""
    pattern = FileSystems.join(directory, "**")
    return sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list if not m.path.endswith("/"))


def _relative(path: str, directory: str) -> str:
    return path.replace("\\", "/")[len(directory.replace("\\", "/").rstrip("/")) + 1 :]


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def _make_parent(path: str) -> None:
    parent = path.replace("\\", "/").rsplit("/", 1)[0]
    if _is_local(path) and not FileSystems.exists(parent):
        FileSystems.mkdirs(parent)


def move_directory(source: str, destination: str) -> None:
    """One rename on a local filesystem; file by file on an object store."""
    _make_parent(destination)
    if _is_local(source):
        FileSystems.rename([source], [destination])
        return
    files = _files_under(source)
    FileSystems.rename(files, [FileSystems.join(destination, _relative(f, source)) for f in files])


def delete_directory(directory: str) -> None:
    if _is_local(directory):
        if FileSystems.exists(directory):
            FileSystems.delete([directory])
        return
    files = _files_under(directory)
    if files:
        FileSystems.delete(files)


def file_digest(path: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def publish_partition(output: str, run_date: str, staging: str, kinds: Sequence[str]) -> List[Dict[str, Any]]:
    """Moves ``staging/<kind>`` to ``OUTPUT/<kind>/dt=run_date`` for every kind (see the
    module docstring); returns the published files as the manifest lists them:
    [{"path": "<kind>/dt=…/<name>", "bytes", "blake2b"}], sorted."""
    files: List[Dict[str, Any]] = []
    sources: Dict[str, str] = {}
    for kind in kinds:
        staged, final = FileSystems.join(staging, kind), partition_path(output, kind, run_date)
        # a retried publish finds the kinds it already moved in their final place
        source = staged if FileSystems.exists(staged) else final
        leftovers = [f for f in _files_under(source) if _is_temporary(f.replace("\\", "/").rsplit("/", 1)[-1])]
        if leftovers:
            FileSystems.delete(leftovers)
        for path in _files_under(source):
            name = _relative(path, source)
            if name == SUCCESS:
                continue
            size = FileSystems.match([path])[0].metadata_list[0].size_in_bytes
            files.append(
                {"path": f"{kind}/{PARTITION_PREFIX}{run_date}/{name}", "bytes": size, "blake2b": file_digest(path)}
            )
        sources[kind] = source
    for kind in kinds:
        staged, final = FileSystems.join(staging, kind), partition_path(output, kind, run_date)
        if sources[kind] != staged:
            continue
        if FileSystems.exists(final):
            move_directory(final, FileSystems.join(staging, REPLACED, kind))
        move_directory(staged, final)
    for kind in kinds:
        with FileSystems.create(FileSystems.join(partition_path(output, kind, run_date), SUCCESS)):
            pass
    return sorted(files, key=lambda f: f["path"])


def remove_staging(output: str, run_date: str) -> int:
    """Deletes the staging directories that earlier attempts at this run date left
    (a crashed launcher or pipeline); returns how many."""
    root = FileSystems.join(output, STAGING_DIR)
    if not FileSystems.exists(root):
        return 0
    prefix = f"{PARTITION_PREFIX}{run_date}."
    found = {
        _relative(m.path, root).split("/", 1)[0]
        for m in FileSystems.match([FileSystems.join(root, "**")])[0].metadata_list
    }
    stale = sorted(name for name in found if name.startswith(prefix))
    for name in stale:
        delete_directory(FileSystems.join(root, name))
    return len(stale)


class PublishPartition(beam.PTransform):
    """The written paths of every record kind (any PCollection that ends when the last
    shard is written) → the partition published and the manifest written; returns the
    published manifest (one element).

    ``manifest``: the launcher's ``started`` manifest (``ledger.started_manifest``).
    """

    def __init__(self, output: str, run_date: str, staging: str, kinds: Sequence[str], manifest: Dict[str, Any]):
        super().__init__()
        self._output, self._run_date, self._staging = output, run_date, staging
        self._kinds, self._manifest = list(kinds), manifest

    def expand(self, written):
        output, run_date, staging, kinds, manifest = (
            self._output,
            self._run_date,
            self._staging,
            self._kinds,
            self._manifest,
        )

        def publish(_: List[str]) -> Dict[str, Any]:
            files = publish_partition(output, run_date, staging, kinds)
            done = ledger.published_manifest(manifest, files)
            ledger.write_manifest(output, done)
            delete_directory(staging)
            return done

        # ToList waits for every written path: the move starts after the last shard
        return written | "AllWritten" >> beam.combiners.ToList() | "Publish" >> beam.Map(publish)

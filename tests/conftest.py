"""Shared fixtures: the batch job over the seed dump, run once per test session."""

from pathlib import Path
from typing import Dict, List

import fastavro
import pytest

SEED = Path(__file__).parent / "fixtures" / "seed" / "000_243c87bbee7a852f.txt"


def read_avro(directory: Path) -> List[dict]:
    records: List[dict] = []
    for path in sorted(directory.glob("*.avro")):
        with open(path, "rb") as handle:
            records.extend(fastavro.reader(handle))
    return records


@pytest.fixture(scope="session")
def seed_output(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, List[dict]]:
    """Every output kind of `pipelines.batch` over the seed dump, as lists of records."""
    from pipelines import batch

    out = tmp_path_factory.mktemp("seed-run")
    batch.run(["--input", str(SEED), "--output", str(out)], save_main_session=False)
    kinds = {kind: read_avro(out / kind) for kind in batch.RECORD_KINDS}
    kinds["aggregates.csv"] = (out / "aggregates.csv").read_text(encoding="utf-8").splitlines()
    return kinds

"""Prints output records (Avro or JSON Lines) as JSON, one per line.

python -m pipelines.peek out/articles [--limit 3] [--field title --field url]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import fastavro


def read_records(directory: Path) -> Iterator[Dict[str, Any]]:
    """Records of every part-* file under directory, in file order."""
    files = sorted(directory.glob("part-*")) if directory.is_dir() else [directory]
    if not files:
        raise SystemExit(f"no part-* files in {directory}")
    for path in files:
        if path.suffix == ".avro":
            with path.open("rb") as handle:
                yield from (record for record in fastavro.reader(handle) if isinstance(record, dict))
        else:
            with path.open(encoding="utf-8") as handle:
                yield from (json.loads(line) for line in handle if line.strip())


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, help="a record directory (out/articles) or one part file")
    parser.add_argument("--limit", type=int, default=5, help="records to print (0: all)")
    parser.add_argument("--field", action="append", help="only these fields (repeatable)")
    args = parser.parse_args(argv)
    for n, record in enumerate(read_records(args.path)):
        if args.limit and n >= args.limit:
            break
        if args.field:
            record = {name: record.get(name) for name in args.field}
        print(json.dumps(record, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

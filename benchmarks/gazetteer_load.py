"""Load time and memory of the gazetteer in this process.

    python -m benchmarks.gazetteer_load [MIN_CITY_POPULATION]

Prints the cities and keys indexed, the load time and the RSS growth of
``Gazetteer.build`` (and the peak RSS where /proc says it).
"""

import os
import sys
import time
from typing import Optional, Sequence

import psutil

from transforms.entities.gazetteer import MIN_CITY_POPULATION, Gazetteer


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    population = int(args[0]) if args else MIN_CITY_POPULATION
    process = psutil.Process()
    before = process.memory_info().rss
    start = time.perf_counter()
    gazetteer = Gazetteer.build(population)
    seconds = time.perf_counter() - start
    after = process.memory_info().rss
    peak = getattr(process.memory_info(), "hwm", None)  # not on every platform
    try:
        with open(f"/proc/{os.getpid()}/status") as f:
            peak = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        pass
    print(
        f"min_city_population={population} cities={len(gazetteer._city_ids)} "
        f"city_keys={len(gazetteer._city_index)} load={seconds:.2f}s "
        f"rss_growth={(after - before) / 2**20:.0f}MB rss={after / 2**20:.0f}MB"
        + (f" peak={peak / 2**20:.0f}MB" if peak else "")
    )


if __name__ == "__main__":
    main()

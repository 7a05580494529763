"""The batch job as a Dataflow Flex Template (``deploy/dataflow/``).

The template launcher calls the job with one ``--name=value`` per parameter, booleans
as ``--incremental=true``; the job's boolean flags take no value, so they are turned
into ``--incremental`` (true) or dropped (false) first. The launcher does not wait for
the job: a dated run publishes its partition in its own last step, and its manifest
stays ``published`` (no counters; the Dataflow console has them).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import List, Optional, Sequence, Set

from pipelines.batch import BatchOptions, run

TRUE, FALSE = "true", "false"


def boolean_flags() -> Set[str]:
    """The job's flags that take no value (``store_true``)."""
    parser = argparse.ArgumentParser()
    BatchOptions._add_argparse_args(parser)
    return {action.option_strings[0] for action in parser._actions if isinstance(action, argparse._StoreTrueAction)}


def template_argv(argv: Sequence[str]) -> List[str]:
    """``--flag=true`` → ``--flag``, ``--flag=false`` → nothing, for the job's boolean
    flags; every other argument as it is. Any other value of a boolean is refused."""
    booleans = boolean_flags()
    converted = []
    for argument in argv:
        name, _, value = argument.partition("=")
        if name in booleans and _:
            if value.lower() not in (TRUE, FALSE):
                raise SystemExit(f"{name} takes true or false, got {value!r}")
            if value.lower() == TRUE:
                converted.append(name)
            continue
        converted.append(argument)
    return converted


def main(argv: Optional[List[str]] = None) -> int:
    logging.getLogger().setLevel(logging.INFO)
    run(template_argv(argv if argv is not None else sys.argv[1:]), wait=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

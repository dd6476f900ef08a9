"""Command line: a thin click layer over the library, one module per stage. The only code that prints or exits.

Exit codes: see :mod:`evsynth.cli.base`.
"""

from evsynth.cli import (  # noqa: F401 - each registers its commands
    annotations_command,
    audit_command,
    desk_command,
    export_command,
    files,
    mine_command,
    review,
    run_command,
    search_command,
    server_command,
)
from evsynth.cli.base import cli, main

__all__ = ["cli", "main"]

"""`evsynth desk`: screen a review's records in a browser, on this machine."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from evsynth.cli.base import DB_OPTION, EXIT_CODES, OUT_OPTION, cli, screening_protocol
from evsynth.config import default_reviewer
from evsynth.errors import EvsynthError, InputFileError
from evsynth.fileio import check_writable
from evsynth.pipeline import default_out_dir


@cli.command(epilog=EXIT_CODES)
@click.argument("protocol", type=click.Path(dir_okay=False, path_type=Path))
@OUT_OPTION
@DB_OPTION
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0: any free one).")  # fmt: skip
@click.option("--reviewer", help="Who decides [env EVSYNTH_REVIEWER, else $USER].")
def desk(protocol: Path, out_dir: Path | None, db_path: Path | None, port: int, reviewer: str | None) -> None:
    """Screen PROTOCOL's records in a browser: the uncertain ones first, the evidence highlighted, a decision a key.

    Serves http://127.0.0.1:PORT/ until Ctrl-C. Each decision is recorded as `evsynth decide` records it (in
    the decisions file, with the reviewer, the day and what it replaced); the outputs derived from the decisions
    (screening, PRISMA, graph, tables, report) are rewritten once the reviewer pauses, and on Ctrl-C. Several
    reviewers may decide at the same time, here or with `evsynth decide`.
    """
    from werkzeug.serving import make_server

    from evsynth.desk.app import Desk, create_app

    loaded, criteria = screening_protocol(protocol)
    out = out_dir or default_out_dir(loaded)
    store_path = db_path or out / "evsynth.sqlite"
    if not store_path.is_file():
        raise EvsynthError(f"{store_path}: no store yet; run `evsynth run {protocol}` first")
    check_writable(out)
    screening_desk = Desk(loaded, criteria, store_path, out, reviewer or default_reviewer())
    app = create_app(screening_desk)
    try:
        server = make_server("127.0.0.1", port, app, threaded=True)
    except OSError as err:
        raise InputFileError(f"127.0.0.1:{port}: cannot listen ({err.strerror}); pass another --port") from None
    click.echo(f"the desk for {loaded.name} is at http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)")
    with contextlib.suppress(KeyboardInterrupt):  # (werkzeug's server stops quietly on Ctrl-C too)
        server.serve_forever()
    if screening_desk.outputs.status()["outputs"] != "current":
        click.echo("writing the outputs of the last decisions…")
    screening_desk.close()
    if error := screening_desk.outputs.status()["error"]:
        raise EvsynthError(f"{out}: the outputs were not rewritten ({error}); `evsynth report {protocol}` "
                           "writes them") from None  # fmt: skip
    click.echo("stopped")

"""The build backend: setuptools' own, which also fetches mypy when EVSYNTH_MYPYC=1 asks setup.py to compile the
tagger with mypyc. An editable install is never compiled: a compiled module would hide later edits of its source."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 - every hook not defined here is setuptools' own

_MYPY = ["mypy>=1.8"]


@contextmanager
def _plain() -> Iterator[None]:
    """setup.py run with compiling off: to list what the build needs (mypy is not there yet), or to install
    editable."""
    asked = os.environ.get("EVSYNTH_MYPYC")
    os.environ["EVSYNTH_MYPYC"] = "0"
    try:
        yield
    finally:
        if asked is None:
            del os.environ["EVSYNTH_MYPYC"]
        else:
            os.environ["EVSYNTH_MYPYC"] = asked


def _in_plain(hook: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        with _plain():
            return hook(*args, **kwargs)

    return run


def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    compiling = os.environ.get("EVSYNTH_MYPYC") == "1"
    with _plain():
        requires: list[str] = _setuptools.get_requires_for_build_wheel(config_settings)
    return requires + (_MYPY if compiling else [])


prepare_metadata_for_build_wheel = _in_plain(_setuptools.prepare_metadata_for_build_wheel)  # no need to compile
get_requires_for_build_editable = _in_plain(_setuptools.get_requires_for_build_editable)
prepare_metadata_for_build_editable = _in_plain(_setuptools.prepare_metadata_for_build_editable)
build_editable = _in_plain(_setuptools.build_editable)
get_requires_for_build_sdist = _in_plain(_setuptools.get_requires_for_build_sdist)
build_sdist = _in_plain(_setuptools.build_sdist)

"""The compiled lexicon in the cache: read back to the same mentions, built again when its file is broken or its
inputs change, never read from a file others may write, and off when asked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.helpers import ROOT

from evsynth.config import cache_dir
from evsynth.tagger import compiled
from evsynth.tagger.lexicon import Lexicon, read_lexicon
from evsynth.tagger.tagger import Tagger

PACKAGED = (ROOT / "src" / "evsynth" / "tagger" / "data" / "lexicon.json.gz").read_bytes()
TEXTS = [
    "BDNF Val66Met (rs6265) and the COMT rs4680 genotype predicted response to ketamine in TRD.",
    "In mice, Bdnf and Ntrk2 rose after ECS; ERK1/2, PKC isoforms alpha and zeta, and miR-132/212 too.",
    "Interleukin (IL)-6, TNF-alpha and the D2 dopamine receptor were measured after escitalopram.",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[object]]:
    folder = tmp_path_factory.mktemp("cache") / "evsynth"
    fresh = read_lexicon(cache=folder)  # built, and kept
    return folder, [Tagger(fresh).tag(text) for text in TEXTS]


def test_a_cached_lexicon_tags_as_the_built_one(built: tuple[Path, list[object]]) -> None:
    folder, mentions = built
    assert compiled.cache_file(folder, PACKAGED).is_file()
    again = compiled.load(folder, PACKAGED)
    assert again is not None
    assert [Tagger(Lexicon.from_compiled(again)).tag(text) for text in TEXTS] == mentions and sum(
        map(len, mentions)
    ) > 15  # type: ignore[arg-type]


def test_a_broken_cache_file_is_built_again_and_replaced(built: tuple[Path, list[object]], tmp_path: Path) -> None:
    _, mentions = built
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    path = compiled.cache_file(folder, PACKAGED)
    path.write_bytes(b"\x80\x05not a pickle")
    path.chmod(0o600)
    assert compiled.load(folder, PACKAGED) is None
    lexicon = read_lexicon(cache=folder)
    assert [Tagger(lexicon).tag(text) for text in TEXTS] == mentions
    assert compiled.load(folder, PACKAGED) is not None  # replaced by a good one


def test_a_cache_others_may_write_is_never_read(built: tuple[Path, list[object]], tmp_path: Path) -> None:
    source, _ = built
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o700)
    path = compiled.cache_file(folder, PACKAGED)
    path.write_bytes(compiled.cache_file(source, PACKAGED).read_bytes())
    path.chmod(0o600)
    assert compiled.load(folder, PACKAGED) is not None
    path.chmod(0o666)  # a pickle runs code as it loads: a file anyone may have written is not loaded
    assert compiled.load(folder, PACKAGED) is None
    path.chmod(0o600)
    folder.chmod(0o777)
    assert compiled.load(folder, PACKAGED) is None
    folder.chmod(0o700)
    link = tmp_path / "link"
    link.symlink_to(folder)
    assert compiled.load(link, PACKAGED) is None


def test_the_cache_file_follows_what_the_lexicon_is_made_from(tmp_path: Path) -> None:
    assert compiled.cache_file(tmp_path, PACKAGED) != compiled.cache_file(tmp_path, PACKAGED + b"\0")
    assert compiled.cache_file(tmp_path, PACKAGED) == compiled.cache_file(tmp_path, PACKAGED)


def test_the_cache_folder_comes_from_the_environment(tmp_path: Path) -> None:
    assert cache_dir({"EVSYNTH_CACHE_DIR": "off"}) is None
    assert cache_dir({"EVSYNTH_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "evsynth"
    assert cache_dir({"HOME": os.environ.get("HOME", "/")}) is not None


def test_an_unwritable_cache_is_skipped(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    lexicon = read_lexicon(cache=blocker / "evsynth")  # cannot be made: the lexicon is built and used anyway
    assert lexicon.size > 100_000

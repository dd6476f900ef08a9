"""Train the learned tier (src/evsynth/tagger/data/learned.crfsuite) and record its provenance (learned.json).

Reads the annotated corpora of ../shared/data/corpora (never copied into the repo): BioRED's training abstracts and
the tmVar3, NLM-Gene and GNormPlus dev splits, pooled and de-duplicated by PMID (evsynth.tagger.training). First a
5-fold cross-validation by document (folds fixed by PMID hash) measures both tiers; then the model is trained on
every document and written into the package, with learned.json saying what it was trained on (each corpus file's
SHA-256 and document count), the code it was trained by (git commit), when, the CRF's settings and the
cross-validation figures. Training is deterministic: the same corpora and code give the same model bytes.

Usage:
  python scripts/train_tagger.py [--shared ../shared/data] [--skip-cv]

About six minutes on one core (five CV models and the final one, some 35 s each, plus scoring).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evsynth.tagger import learned
from evsynth.tagger.lexicon import read_lexicon
from evsynth.tagger.tagger import Tagger
from evsynth.tagger.training import CORPORA, FOLDS, PARAMS, cross_validate, pooled, train

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "evsynth" / "tagger" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--skip-cv", action="store_true", help="keep the CV figures learned.json has now")
    args = parser.parse_args()
    corpora = args.shared / "corpora"
    wanted = [f"{folder}/{stem}.jsonl" for folder, stem, _ in CORPORA]
    missing = [name for name in wanted if not (corpora / name).is_file()]
    if missing:
        print(f"train_tagger: {corpora}: no {', '.join(missing)} (give the shared data with --shared)", file=sys.stderr)
        return 2
    lexicon = read_lexicon()
    old = json.loads((DATA / learned.PROVENANCE).read_text()) if (DATA / learned.PROVENANCE).exists() else {}
    if args.skip_cv:
        cv = old.get("cross_validation", {})
    else:
        with tempfile.TemporaryDirectory() as folder:
            scores = cross_validate(corpora, lexicon, Path(folder), progress=lambda line: print(line, flush=True))
        cv = {
            tier: {name: {"P": round(s.precision, 4), "R": round(s.recall, 4), "F1": round(s.f1, 4),
                          "tp": s.tp, "fp": s.fp, "fn": s.fn} for name, s in by_measure.items()}
            for tier, by_measure in scores.items()
        }  # fmt: skip
    docs = pooled(corpora)
    start = time.perf_counter()
    tokens = train(Tagger(lexicon), docs, DATA / learned.MODEL)
    seconds = time.perf_counter() - start
    model = (DATA / learned.MODEL).read_bytes()
    provenance = {
        "model": learned.MODEL,
        "sha256": hashlib.sha256(model).hexdigest(),
        "bytes": len(model),
        "trained": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": _commit(),
        "trainer": "CRFsuite (python-crfsuite), L-BFGS",
        "params": PARAMS,
        "labels": list(learned.LABELS),
        "corpora": [
            {
                "file": f"corpora/{folder}/{stem}.jsonl",
                "labels": list(types),
                "sha256": hashlib.sha256((corpora / folder / f"{stem}.jsonl").read_bytes()).hexdigest(),
                "documents": sum(1 for d in docs if d.corpus == folder),
            }
            for folder, stem, types in CORPORA
        ],  # fmt: skip
        "documents": len(docs),
        "tokens": tokens,
        "training_seconds": round(seconds, 1),
        "cross_validation": {"folds": FOLDS, "by": "document, fold = sha256(PMID) mod 5", **cv},
    }
    (DATA / learned.PROVENANCE).write_text(json.dumps(provenance, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {DATA / learned.MODEL} ({len(model):,} bytes, {len(docs)} documents, {tokens:,} tokens, "
          f"{seconds:.0f} s) and {learned.PROVENANCE}")  # fmt: skip
    return 0


def _commit() -> str:
    found = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True)
    return found.stdout.strip() + ("+changes" if dirty.stdout.strip() else "") if found.returncode == 0 else ""


if __name__ == "__main__":
    sys.exit(main())

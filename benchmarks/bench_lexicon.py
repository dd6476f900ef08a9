"""Lexicon load: built from the packaged data, read back compiled from the cache, and the floor (the same keys
into a bare automaton), each in a fresh process, medians of --repeat.

    python benchmarks/bench_lexicon.py [--repeat 3]

Each figure is the time of `default_lexicon()` (or the floor's build) inside the process, imports excluded. The
compiled file lives in a temporary cache folder made for this run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

BUILD = """
import time
from evsynth.tagger.lexicon import default_lexicon
t = time.perf_counter(); default_lexicon(); print(time.perf_counter() - t)
"""
FLOOR = """
import pickle, time, ahocorasick
keys = pickle.load(open({keys!r}, "rb"))
t = time.perf_counter()
a = ahocorasick.Automaton(ahocorasick.STORE_INTS)
for n, key in enumerate(keys):
    a.add_word(key, n)
a.make_automaton()
print(time.perf_counter() - t)
"""
KEYS = """
import pickle
from evsynth.tagger.lexicon import read_lexicon
pickle.dump(list(read_lexicon().automaton.keys()), open({path!r}, "wb"))
"""


def timed(code: str, env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        keys = os.path.join(tmp, "keys.pickle")
        subprocess.run([sys.executable, "-c", KEYS.format(path=keys)], check=True)
        off = {**os.environ, "EVSYNTH_CACHE_DIR": "off"}
        on = {**os.environ, "EVSYNTH_CACHE_DIR": os.path.join(tmp, "cache")}
        timed(BUILD, on)  # compiles it into the cache
        figures: dict[str, list[float]] = {"built (no cache)": [], "compiled, from the cache": [], "floor": []}
        for _ in range(args.repeat):
            figures["built (no cache)"].append(timed(BUILD, off))
            figures["compiled, from the cache"].append(timed(BUILD, on))
            figures["floor"].append(timed(FLOOR.format(keys=keys), off))
    floor = statistics.median(figures["floor"])
    print("| lexicon load | seconds (median) | x floor |")
    print("| --- | ---: | ---: |")
    for name, values in figures.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {median / floor:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

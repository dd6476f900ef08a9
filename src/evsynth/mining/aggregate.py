"""The mined parts counted together, on the Dask cluster: which record version wins, entity frequencies and
pair co-mention counts by year, and the compact tables a review's background statistics read.

A PMID mined from several files counts once, from the latest file (an update file revises a baseline record);
one a later file deletes (``DeleteCitation``) does not count. The parts are counted in parallel, one task per
part, each dropping its superseded records, and the results summed with Dask dataframes.

Outputs, beside the parts' tables:

* ``entities.parquet``: key, type, name, family, year, records (records naming it), mentions;
* ``pairs.parquet``: a, b (a < b), level (sentence | abstract), year, records (records naming both there);
* ``keys.parquet``: the winning records' (pmid, key) pairs sorted by key, what a background reads;
* ``summary.csv``: the 50 most named entities and pairs;
* ``background.json``: the number of records, files and parts, what made them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from evsynth.fileio import CsvWriter, atomic_writer
from evsynth.mining.task import write_parquet

ENTITY_COLUMNS = ["key", "type", "name", "family", "year"]
PAIR_COLUMNS = ["a", "b", "level", "year"]


def done_parts(out: Path) -> list[str]:
    """The names of the parts mined (``<file>.partNNN``), in file and part order."""
    return sorted(path.stem for path in (out / "done").glob("*.json"))


def file_manifests(out: Path) -> dict[str, dict[str, Any]]:
    """file stem -> what splitting it found (parts, deleted PMIDs, the source's size and time)."""
    return {path.stem: json.loads(path.read_text()) for path in sorted((out / "files").glob("*.json"))}


def superseded(out: Path, parts: list[str]) -> dict[str, set[str]]:
    """part -> the PMIDs in it that do not count: a later part has the record again, or a file at or after it
    deletes it."""
    frames = [pq.read_table(out / "records" / f"{name}.parquet", columns=["pmid"]).to_pandas().assign(part=name)
              for name in parts]  # fmt: skip
    if not frames:
        return {}
    seen = pd.concat(frames, ignore_index=True)
    latest = seen.groupby("pmid")["part"].max()
    drop: dict[str, set[str]] = {}
    older = seen[seen["part"] != seen["pmid"].map(latest)]
    for name, group in older.groupby("part"):
        drop.setdefault(str(name), set()).update(group["pmid"])
    for stem, manifest in file_manifests(out).items():
        deleted = set(manifest.get("deleted", []))
        if not deleted:
            continue
        hit = seen[seen["pmid"].isin(deleted) & (seen["part"].str.split(".part").str[0] <= stem)]
        for name, group in hit.groupby("part"):
            drop.setdefault(str(name), set()).update(group["pmid"])
    return drop


def part_counts(out: Path, name: str, drop: set[str]) -> dict[str, pd.DataFrame]:
    """One part's winning records counted: entities, pairs, (pmid, key) and its number of records."""
    records = pq.read_table(out / "records" / f"{name}.parquet", columns=["pmid", "year"]).to_pandas()
    records = records[~records["pmid"].isin(drop)]
    mentions = pq.read_table(out / "mentions" / f"{name}.parquet").to_pandas()
    mentions = mentions[~mentions["pmid"].isin(drop)].merge(records, on="pmid")
    mentions["year"] = mentions["year"].fillna(0).astype("int32")
    entities = mentions.groupby(ENTITY_COLUMNS).agg(records=("pmid", "nunique"), mentions=("pmid", "size"))
    keys = mentions[["pmid", "key", "year"]].drop_duplicates()
    in_sentences = mentions[["pmid", "sentence", "key", "year"]].drop_duplicates()
    pairs = [_pairs(keys, ["pmid"], "abstract"), _pairs(in_sentences, ["pmid", "sentence"], "sentence")]
    return {
        "entities": entities.reset_index(),
        "pairs": pd.concat(pairs, ignore_index=True),
        "keys": keys[["pmid", "key"]],
        "records": pd.DataFrame({"records": [len(records)]}),
    }


def _pairs(rows: pd.DataFrame, within: list[str], level: str) -> pd.DataFrame:
    joined = rows.merge(rows, on=[*within, "year"], suffixes=("_a", "_b"))
    joined = joined[joined["key_a"] < joined["key_b"]]
    joined = joined[["pmid", "key_a", "key_b", "year"]].drop_duplicates()
    counted = joined.groupby(["key_a", "key_b", "year"]).size().rename("records").reset_index()
    return counted.rename(columns={"key_a": "a", "key_b": "b"}).assign(level=level)[[*PAIR_COLUMNS, "records"]]


def aggregate(out: Path, client: Any = None) -> dict[str, Any]:
    """Count the mined parts (on ``client``'s cluster when given) and write the outputs listed above."""
    import dask.dataframe as dd
    from dask.base import compute
    from dask.delayed import delayed

    parts = done_parts(out)
    drop = superseded(out, parts)
    counted = [delayed(part_counts)(out, name, drop.get(name, set())) for name in parts]
    tables = {}
    for table in ("entities", "pairs", "keys", "records"):
        pieces = [delayed(lambda c, t=table: c[t])(c) for c in counted]
        tables[table] = dd.from_delayed(pieces) if pieces else None
    scheduler = {"scheduler": client} if client is not None else {}
    results = compute(*(tables[t] for t in ("entities", "pairs", "keys", "records")), **scheduler) if parts \
        else (pd.DataFrame(columns=[*ENTITY_COLUMNS, "records", "mentions"]),
              pd.DataFrame(columns=[*PAIR_COLUMNS, "records"]), pd.DataFrame(columns=["pmid", "key"]),
              pd.DataFrame({"records": [0]}))  # fmt: skip
    entities, pairs, keys, records = results
    entities = entities.groupby(ENTITY_COLUMNS, as_index=False)[["records", "mentions"]].sum()
    entities = entities.sort_values(ENTITY_COLUMNS, ignore_index=True)
    pairs = pairs.groupby(PAIR_COLUMNS, as_index=False)["records"].sum().sort_values(PAIR_COLUMNS, ignore_index=True)
    keys = keys.sort_values(["key", "pmid"], ignore_index=True)
    total = int(records["records"].sum())
    _parquet(entities, out / "entities.parquet")
    _parquet(pairs, out / "pairs.parquet")
    _parquet(keys, out / "keys.parquet", row_group_size=100_000)
    _summary(entities, pairs, out / "summary.csv")
    info = {"records": total, "parts": len(parts), "files": sorted(file_manifests(out)),
            "entities": int(entities["key"].nunique()), "pairs": int(len(pairs))}  # fmt: skip
    with atomic_writer(out / "background.json") as handle:
        json.dump(info, handle, indent=2, sort_keys=True)
    return info


def _parquet(frame: pd.DataFrame, path: Path, row_group_size: int | None = None) -> None:
    write_parquet(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size)


def _summary(entities: pd.DataFrame, pairs: pd.DataFrame, path: Path) -> None:
    top_entities = (entities.groupby(["key", "type", "name"], as_index=False)["records"].sum()
                    .sort_values(["records", "key"], ascending=[False, True]).head(50))  # fmt: skip
    abstract = pairs[pairs["level"] == "abstract"]
    top_pairs = (abstract.groupby(["a", "b"], as_index=False)["records"].sum()
                 .sort_values(["records", "a", "b"], ascending=[False, True, True]).head(50))  # fmt: skip
    with atomic_writer(path, newline="") as handle:
        writer = CsvWriter(handle, fieldnames=["kind", "what", "records"])
        writer.writeheader()
        writer.writerows(_rows("entity", top_entities.itertuples(index=False), lambda r: f"{r.name} ({r.key})"))
        writer.writerows(_rows("pair", top_pairs.itertuples(index=False), lambda r: f"{r.a} + {r.b}"))


def _rows(kind: str, items: Iterable[Any], label: Any) -> Iterable[dict[str, Any]]:
    return ({"kind": kind, "what": label(item), "records": int(item.records)} for item in items)

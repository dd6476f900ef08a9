"""The learned tier: tokens and labels, deterministic training, the tier beside the dictionary, naming what only it
finds, well-known variants under one id, and the settings that choose the tier and filter by confidence.

Every text and corpus line written here is synthetic (PMIDs from 90000001 up); the packaged model is the one
scripts/train_tagger.py trained on the shared corpora.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from tests.helpers import ROOT

from evsynth.cli import cli
from evsynth.errors import EvsynthError, InputFileError, ProtocolError
from evsynth.models import Mention
from evsynth.protocol.extraction import ExtractionPolicy, extraction_policy
from evsynth.synthesis.graph import mention_nodes
from evsynth.tagger import equivalents, learned, training
from evsynth.tagger.lexicon import default_lexicon
from evsynth.tagger.names import NameRanker, squeeze
from evsynth.tagger.tagger import Tagger

PROTOCOL = ROOT / "queries" / "trd-pharmacogenomics.yaml"
CASSETTE = ROOT / "cassettes" / "trd-pharmacogenomics.yaml"


@pytest.fixture(scope="module")
def both() -> Tagger:
    return Tagger(tier="all")


# -- tokens, labels, hints ---------------------------------------------------------------------------------------


def test_tokens_split_letters_digits_and_marks() -> None:
    assert [t for t, _, _ in learned.tokens("IL-6 c.920T>G")] == ["IL", "-", "6", "c", ".", "920", "T", ">", "G"]


def test_labels_mark_spans_and_skip_nested_ones() -> None:
    text = "the MLYCD c.920T>G change"
    toks = learned.tokens(text)
    gold = [(4, 9, "gene"), (10, 18, "variant"), (10, 11, "gene")]  # the last is inside the variant: left out
    assert learned.labels(toks, gold) == [
        "O", "B-gene", "B-variant", "I-variant", "I-variant", "I-variant", "I-variant", "I-variant", "O",
    ]  # fmt: skip


def test_hints_carry_the_dictionary_tiers_view() -> None:
    toks = learned.tokens("BDNF and TrkB")
    hints = learned.hints(toks, [(0, 4, "symbol")], [(0, 4, "gene"), (9, 13, "gene")])
    assert hints[0] == ["k:symbol", "d:B-gene"] and hints[1] == [] and hints[2] == ["d:B-gene"]
    rows = learned.features(toks, hints, "BDNF and TrkB")
    assert "d:B-gene" in rows[0] and "+1d:B-gene" in rows[1] and "-1d:B-gene" in rows[1]


# -- training --------------------------------------------------------------------------------------------------------

# Synthetic documents: made-up gene names (ZQX1 ...) that no lexicon holds, in contexts a model can learn from.
_GENES = ["ZQX1", "ZQX2", "KVW3", "KVW4", "PLM5", "PLM6"]


def _synthetic_docs() -> list[training.Doc]:
    docs = []
    for n, gene in enumerate(_GENES * 4):
        text = f"Expression of the {gene} gene rose. Patients took a walk before the {gene} protein assay."
        spans = [i for i in range(len(text)) if text.startswith(gene, i)]
        entities = tuple({"start": s, "end": s + len(gene), "text": gene, "type": "gene", "id": None} for s in spans)
        docs.append(training.Doc(str(90000001 + n), "synthetic", text, entities, ("gene",)))
    return docs


def test_training_is_deterministic_and_learns(tmp_path: Path) -> None:
    tagger = Tagger()
    docs = _synthetic_docs()
    first, second = tmp_path / "a.crfsuite", tmp_path / "b.crfsuite"
    assert training.train(tagger, docs, first) == training.train(tagger, docs, second) > 0
    assert first.read_bytes() == second.read_bytes()
    model = learned.LearnedTier(first)
    text = "Expression of the QRT9 gene rose."  # a name the model never saw, in a context it did
    toks, rows, _ = tagger.learning_rows(text)
    spans, (expression,) = model.label(toks, rows, [(0, 10, "gene")])
    assert [(text[s.start : s.end], s.type) for s in spans] == [("QRT9", "gene")]
    assert 0.5 < spans[0].confidence <= 1.0
    assert expression < 0.5  # 'Expression'


def test_folds_are_fixed_by_pmid_and_pooling_keeps_one_copy(tmp_path: Path) -> None:
    assert training.fold_of("90000001") == training.fold_of("90000001")
    folds = [training.fold_of(str(90000001 + n)) for n in range(1000)]
    assert all(150 < folds.count(k) < 250 for k in range(training.FOLDS))
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
    line = {"pmid": "90000001", "text": "ZQX1", "entities": []}
    (tmp_path / "one" / "dev.jsonl").write_text(json.dumps(line) + "\n")
    (tmp_path / "two" / "dev.jsonl").write_text(json.dumps(line) + "\n" + json.dumps({**line, "pmid": "90000002"}))
    docs = training.pooled(tmp_path, [("one", "dev", ("gene",)), ("two", "dev", ("gene", "variant"))])
    assert [(d.pmid, d.corpus) for d in docs] == [("90000001", "one"), ("90000002", "two")]


def test_cross_validation_scores_every_document_once(tmp_path: Path) -> None:
    """On synthetic corpora laid out like the shared ones: each gold mention is counted once over the folds."""
    corpora = tmp_path / "corpora"
    docs = _synthetic_docs()
    for _, folder, stem, _ in training.MEASURES:
        (corpora / folder).mkdir(parents=True, exist_ok=True)
        lines = [{"pmid": d.pmid, "text": d.text, "entities": list(d.entities)} for d in docs]
        (corpora / folder / f"{stem}.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    scores = training.cross_validate(corpora, default_lexicon(), tmp_path)
    assert set(scores) == {"dictionary", "all"}
    for tier in scores.values():
        # made-up genes have no human NCBI id: nothing to find, and the tiers may not invent any
        assert tier["gene id F1 (GNormPlus)"].tp + tier["gene id F1 (GNormPlus)"].fn == 0
        assert tier["variant span F1 (tmVar3)"].tp == 0
    assert len(list(tmp_path.glob("fold*.crfsuite"))) == training.FOLDS


def test_the_packaged_model_matches_its_provenance() -> None:
    record = learned.provenance()
    model = learned.packaged_model().read_bytes()
    assert record["sha256"] == hashlib.sha256(model).hexdigest() and record["bytes"] == len(model)
    assert {c["file"] for c in record["corpora"]} >= {"corpora/biored/train.jsonl", "corpora/tmvar3/dev.jsonl"}
    cv = record["cross_validation"]
    assert cv["folds"] == 5 and set(cv["all"]) == {name for name, *_ in training.MEASURES}


# -- the tier beside the dictionary ----------------------------------------------------------------------------------

# Synthetic sentences.
TEXTS = [
    "The BDNF Val66Met polymorphism (rs6265) and hXPC protein levels were measured in 40 patients.",
    "COMT rs4680 and MTHFR C677T carriers responded to ketamine; miR-132 rose.",
    "Nothing here names a gene.",
]


@pytest.mark.parametrize("text", TEXTS)
def test_all_tiers_keep_every_dictionary_mention_and_score_each(both: Tagger, text: str) -> None:
    dictionary = Tagger()
    plain = [(m.start, m.end, m.type, m.id) for m in dictionary.tag(text)]
    mentions = both.tag(text)
    assert set(plain) <= {(m.start, m.end, m.type, m.id) for m in mentions}
    for mention in mentions:
        attrs = dict(mention.attrs)
        assert attrs["tier"] in ("dictionary", "learned")
        assert isinstance(attrs["confidence"], float) and 0.0 <= attrs["confidence"] <= 1.0
        assert text[mention.start : mention.end] == mention.text
    assert all(
        dict(m.attrs) == {**dict(m.attrs), "tier": "dictionary", "confidence": 1.0} for m in dictionary.tag(text)
    )


def test_the_learned_tier_names_what_the_lexicon_lacks(both: Tagger) -> None:
    found = {m.text: m for m in both.tag(TEXTS[0])}
    assert dict(found["hXPC"].attrs)["tier"] == "learned" and found["hXPC"].id == "7508"  # XPC


def test_a_tier_that_does_not_exist_and_a_broken_model(tmp_path: Path) -> None:
    with pytest.raises(EvsynthError, match="tagger tier 'learnt'"):
        Tagger(tier="learnt")
    broken = tmp_path / "model.crfsuite"
    broken.write_bytes(b"not a model")
    with pytest.raises(InputFileError, match="model.crfsuite: not a CRFsuite model"):
        Tagger(tier="all", model=broken)


# -- naming spans ------------------------------------------------------------------------------------------------------


def test_names_are_ranked_and_ambiguity_is_kept() -> None:
    lexicon = default_lexicon()
    ranker = NameRanker(lexicon)

    def symbol(name: str) -> str | None:
        named = ranker.rank(name)
        return lexicon.genes[named.gene].symbol if named.gene is not None else None

    assert squeeze("IL-2R alpha") == "il2ra" and squeeze("metalloproteinase") == "metalloproteinase"
    assert symbol("hXPC") == "XPC" and symbol("CEBPbeta") == "CEBPB" and symbol("IL-2Ralpha") == "IL2RA"
    assert symbol("tripartite motif-containing protein 3") == "TRIM3"
    assert symbol("Kruppel-like factor 9") != "KLF6"  # close, but another member of the family
    ambiguous = ranker.rank("Carbonic anhydrase V")
    assert ambiguous.gene is None and {lexicon.genes[i].symbol for i in ambiguous.candidates} == {"CA5A", "CA5B"}


# -- well-known variants -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "variant", "label"),
    [
        ("BDNF Val66Met carriers", "rs6265", "BDNF rs6265 (Val66Met)"),
        ("carriers of rs6265 in BDNF", "rs6265", "BDNF rs6265 (Val66Met)"),
        ("the BDNF G196A change", "rs6265", "BDNF rs6265 (Val66Met)"),
        ("COMT Val158Met", "rs4680", "COMT rs4680 (Val158Met)"),
        ("MTHFR C677T", "rs1801133", "MTHFR rs1801133 (C677T)"),
        ("the 5-HTTLPR short allele", "5-HTTLPR", "SLC6A4 5-HTTLPR"),
    ],
)
def test_well_known_variants_are_one_variant_and_one_node(text: str, variant: str, label: str) -> None:
    mentions = [m for m in Tagger().tag(text) if m.type == "variant"]
    assert [(m.id, dict(m.attrs)["label"]) for m in mentions] == [(variant, label)]
    ((key, attrs),) = mention_nodes(mentions[0])
    assert attrs["name"] == label
    assert key == (f"variant:{variant}" if variant.startswith("rs") else f"variant:SLC6A4:{variant}")


def test_a_change_named_like_a_known_one_in_another_gene_stays_itself() -> None:
    (mention,) = [m for m in Tagger().tag("NTRK2 Val66Met") if m.type == "variant"]
    assert mention.id == "p.Val66Met" and "label" not in dict(mention.attrs)
    assert equivalents.known("NTRK2", "Val66Met", "p.Val66Met") is None


# -- settings ----------------------------------------------------------------------------------------------------------


def test_the_protocol_chooses_the_tier_and_a_confidence_floor() -> None:
    policy = extraction_policy({"tier": "all", "min_confidence": 0.5, "genes": "evsynth"}, "p.yaml")
    assert (policy.tier, policy.min_confidence) == ("all", 0.5)
    assert "tier: all" in policy.describe() and "min_confidence: 0.5" in policy.describe()
    sure = Mention(0, 4, "BDNF", "gene", "627", 0, (("confidence", 0.9),))
    unsure = Mention(0, 4, "BDNF", "gene", "627", 0, (("confidence", 0.2),))
    without = Mention(0, 4, "BDNF", "gene", "627", 0)  # PubTator3's, or stored before tiers
    assert [policy.keeps(m) for m in (sure, unsure, without)] == [True, False, True]
    assert ExtractionPolicy().keeps(unsure)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"tier": "dictonary"},
            "p.yaml: extraction.tier: 'dictonary' must be one of dictionary, all; did you mean 'dictionary'?",
        ),
        ({"min_confidence": 1.5}, "p.yaml: extraction.min_confidence: 1.5 must be a number from 0 to 1"),
        ({"min_confidence": "high"}, "extraction.min_confidence: 'high' must be a number from 0 to 1"),
        ({"tiers": "all"}, "extraction.tiers: unknown key; did you mean 'tier'?"),
    ],
)
def test_protocol_settings_typos_are_one_line_errors(section: dict[str, object], message: str) -> None:
    with pytest.raises(ProtocolError) as error:
        extraction_policy(section, "p.yaml")
    assert message in str(error.value) and "\n" not in str(error.value)


def test_tag_command_tiers(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text(json.dumps({"pmid": "90000001", "text": TEXTS[0]}) + "\n")
    result = runner.invoke(cli, ["tag", "--in", "in.jsonl", "--out", "out.jsonl", "--tier", "all"])
    assert result.exit_code == 0, result.output
    entities = json.loads((tmp_path / "out.jsonl").read_text())["entities"]
    assert {e["tier"] for e in entities} == {"dictionary", "learned"}
    assert all(0 <= e["confidence"] <= 1 for e in entities)
    wrong = runner.invoke(cli, ["tag", "--in", "in.jsonl", "--out", "o2.jsonl", "--tier", "learned"])
    assert wrong.exit_code == 2 and "'learned' is not one of 'dictionary', 'all'" in wrong.output
    assert not (tmp_path / "o2.jsonl").exists()


def test_a_run_with_the_learned_tier_retags_and_filters_the_graph(runner: CliRunner, tmp_path: Path) -> None:
    protocol = yaml.safe_load(PROTOCOL.read_text())
    first = runner.invoke(cli, ["run", str(PROTOCOL), "--replay", str(CASSETTE)])
    assert first.exit_code == 0, first.output
    out = tmp_path / "output" / "trd-pharmacogenomics"
    before = {json.loads(line)["pmid"]: line for line in (out / "mentions.jsonl").read_text().splitlines()}
    protocol["extraction"] = {**(protocol.get("extraction") or {}), "tier": "all", "min_confidence": 0.999}
    changed = tmp_path / "trd-pharmacogenomics.yaml"
    changed.write_text(yaml.safe_dump(protocol, sort_keys=False))
    second = runner.invoke(cli, ["run", str(changed), "--replay", str(CASSETTE)])
    assert second.exit_code == 0, second.output
    assert f"({len(before)} tagged now, 0 unchanged)" in second.output
    lines = [json.loads(line) for line in (out / "mentions.jsonl").read_text().splitlines()]
    confidences = [e["confidence"] for line in lines for e in line["entities"]]
    assert confidences and any(c < 0.999 for c in confidences)  # mentions.jsonl keeps every mention
    graph = json.loads((out / "graph.cyjs").read_text())
    sure: dict[str, set[str]] = {}
    unsure: dict[str, set[str]] = {}
    for line in lines:
        for e in line["entities"]:
            if e["type"] == "gene" and e.get("symbol"):
                (sure if e["confidence"] >= 0.999 else unsure).setdefault(line["pmid"], set()).add(e["symbol"])
    dropped = {(pmid, symbol) for pmid, symbols in unsure.items() for symbol in symbols - sure.get(pmid, set())}
    shown = {
        (str(pmid), node["data"]["name"])
        for node in graph["elements"]["nodes"]
        if node["data"].get("type") == "gene"
        for pmid in node["data"].get("pmids", [])
    }
    assert dropped and shown and not dropped & shown
    report = (out / "report.html").read_text()
    assert "tier: all, min_confidence: 0.999" in report and learned.provenance()["sha256"][:12] in report


def test_export_and_reports_keep_the_protocols_tier(runner: CliRunner, tmp_path: Path) -> None:
    """export tags what it needs with the tier the protocol names, as run does: nothing is re-tagged the other way."""
    from evsynth.store.database import Store

    protocol = yaml.safe_load(PROTOCOL.read_text())
    protocol["extraction"] = {**(protocol.get("extraction") or {}), "tier": "all"}
    changed = tmp_path / "trd-pharmacogenomics.yaml"
    changed.write_text(yaml.safe_dump(protocol, sort_keys=False))
    assert runner.invoke(cli, ["run", str(changed), "--replay", str(CASSETTE)]).exit_code == 0
    store_path = tmp_path / "output" / "trd-pharmacogenomics" / "evsynth.sqlite"

    def keys() -> dict[int, str]:
        with Store.open(store_path) as store:
            return {row[0]: row[1] for row in store.conn.execute("SELECT record_id, tagger FROM tagged")}

    before = keys()
    assert before and all(key.endswith(":all") for key in before.values())
    result = runner.invoke(cli, ["export", str(changed), "--db", str(store_path), "--format", "sif", "--out", "x.sif"])
    assert result.exit_code == 0, result.output
    assert keys() == before


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "µ-opioid receptor (MOR) and κ-opioid receptor in Μ cells; TGF-β1 rose.",
        '=HYPERLINK("x") <script>BDNF</script> | CEBPbeta | \u202eRLO\u202c | \x00\x07',
        "A" * 5000 + " BDNF " + "9" * 300,
    ],
)
def test_the_learned_tier_takes_odd_text(both: Tagger, text: str) -> None:
    for mention in both.tag(text):
        assert text[mention.start : mention.end] == mention.text
        assert 0.0 <= dict(mention.attrs)["confidence"] <= 1.0


def test_the_learned_tier_takes_no_allele_or_residue_for_a_gene(both: Tagger) -> None:
    """'Met allele' is an allele, as the dictionary tier decides; the model alone calls 'Met' a gene (MET) here."""
    text = (
        "In the BDNF gene, carriers of the Met allele showed a smaller reduction than Val/Val homozygotes (p = 0.01)."
    )
    toks, rows, _ = both.learning_rows(text)
    assert any(text[s.start : s.end] == "Met" for s in both._learned.label(toks, rows)[0])  # type: ignore[union-attr]
    assert [m.text for m in both.tag(text) if m.type == "gene"] == ["BDNF"]


def test_a_known_rsid_takes_its_own_gene_whatever_gene_is_nearest() -> None:
    (mention,) = [m for m in Tagger().tag("HTR1A expression and rs6313 genotype were studied.") if m.type == "variant"]
    assert (mention.id, dict(mention.attrs)["gene"], dict(mention.attrs)["gene_id"]) == ("rs6313", "HTR2A", "3356")

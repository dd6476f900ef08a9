"""Regenerate the offline demo from demo/corpus.yaml (synthetic records only).

    python scripts/make_demo.py

Writes:
  cassettes/trd-pharmacogenomics.yaml  the reference protocol's harvest, recorded by evsynth's own client
                                       against the local E-utilities server serving the corpus's PubMed part;
                                       URLs are then rewritten to NCBI's so that a default `evsynth run
                                       --replay` matches them
  demo/scopus-export.csv               the corpus's Scopus part, in Scopus's CSV export layout
  demo/hand-search.ris                 the corpus's RIS part
  cassettes/audit-demo.yaml            `evsynth audit` of demo/audit/references.txt, recorded against the local
                                       server serving the corpus's PubMed part and demo/audit/records.yaml
  cassettes/trd-pharmacogenomics-pubtator3.yaml
                                       the demo run (the README's imports) with an extraction policy that takes
                                       PubTator3's annotations (PUBTATOR3_POLICY): the harvest and PubTator3's
                                       answers, made up by evsynth.testing.pubtator3 for every PubMed record of
                                       the corpus but UNKNOWN_TO_PUBTATOR3 (so the fallback is shown)

Nothing here touches the network.
"""

from __future__ import annotations

import csv
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from evsynth.audit.check import audit
from evsynth.audit.claims import read_claims
from evsynth.audit.references import read_references
from evsynth.config import NCBI_EUTILS_URL, PUBTATOR3_URL, Settings
from evsynth.pipeline import run_protocol
from evsynth.protocol.loader import load_protocol
from evsynth.sources.eutils import EUtils, recording
from evsynth.sources.harvest import harvest
from evsynth.store.database import Store
from evsynth.tagger.lexicon import default_lexicon
from evsynth.testing.corpus import Corpus
from evsynth.testing.pubtator3 import synthetic_document
from evsynth.testing.server import serving
from evsynth.testing.synthetic import article_set, article_xml, author_names, demo_article_set

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "demo" / "corpus.yaml"
PROTOCOL = ROOT / "queries" / "trd-pharmacogenomics.yaml"
CASSETTE = ROOT / "cassettes" / "trd-pharmacogenomics.yaml"
AUDIT_CASSETTE = ROOT / "cassettes" / "audit-demo.yaml"
AUDIT = ROOT / "demo" / "audit"
SCOPUS = ROOT / "demo" / "scopus-export.csv"
RIS = ROOT / "demo" / "hand-search.ris"
PUBTATOR3_CASSETTE = ROOT / "cassettes" / "trd-pharmacogenomics-pubtator3.yaml"
PUBTATOR3_POLICY = "extraction: {genes: pubtator3, variants: pubtator3, chemicals: both}\n"
UNKNOWN_TO_PUBTATOR3 = "90000004"  # an included record PubTator3's (made-up) answers leave out
NOTE = "SYNTHETIC demo record written for evsynth; not a real paper"
HEADER = f"""\
# SYNTHETIC DEMO CASSETTE. Recorded by scripts/make_demo.py from demo/corpus.yaml: every record in it was
# written for evsynth's demo (PMIDs from 90000001, DOIs with the 10.5555 example prefix) and is not a real paper.
# The exchange was recorded by evsynth's own client against its local E-utilities server; the URLs were then
# rewritten to {NCBI_EUTILS_URL}. api_key and email are filtered out.
"""
AUDIT_HEADER = f"""\
# SYNTHETIC AUDIT DEMO CASSETTE. Recorded by scripts/make_demo.py: `evsynth audit` of demo/audit/references.txt
# (a synthetic reference list) against evsynth's local E-utilities server serving demo/corpus.yaml's PubMed part
# and demo/audit/records.yaml. Every record is synthetic (PMIDs from 90000001, DOIs with the 10.5555 example
# prefix), not a real paper. URLs rewritten to {NCBI_EUTILS_URL}; api_key and email are filtered out.
"""
SCOPUS_COLUMNS = (
    "Authors", "Author full names", "Author(s) ID", "Title", "Year", "Source title", "Volume", "Issue",
    "Art. No.", "Page start", "Page end", "Cited by", "DOI", "Link", "Abstract", "Author Keywords",
    "Index Keywords", "Language of Original Document", "Abbreviated Source Title", "Document Type",
    "Publication Stage", "Open Access", "Source", "EID", "PubMed ID", "Note",
)  # fmt: skip


def _save(data: dict[str, Any], server_url: str, path: Path, header: str) -> None:
    for interaction in data["interactions"]:
        request = interaction["request"]
        pubtator3 = server_url + "pubtator3/"
        request["uri"] = request["uri"].replace(pubtator3, PUBTATOR3_URL).replace(server_url, NCBI_EUTILS_URL)
        headers = interaction["response"]["headers"]
        for name in ("Date", "Server"):
            headers.pop(name, None)
    path.parent.mkdir(exist_ok=True)
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120))


def record_cassette(corpus: dict[str, Any]) -> None:
    defaults = corpus["defaults"]
    articles = [article_xml(entry, defaults) for entry in corpus["pubmed"]]
    served = Corpus.from_xml(article_set(articles))
    served.evaluate_queries = True  # the demo harvest is what the protocol's strategy finds in the corpus
    protocol = load_protocol(PROTOCOL)
    with tempfile.TemporaryDirectory() as tmp, serving(served) as server:
        partial = Path(tmp) / "cassette.yaml"
        with recording(partial), Store.open(Path(tmp) / "demo.sqlite") as store:
            client = EUtils(Settings(eutils_url=server.url, rate=None))
            result = harvest(protocol, store, client)
        data = yaml.safe_load(partial.read_text())
    _save(data, server.url, CASSETTE, HEADER)
    print(f"{CASSETTE.relative_to(ROOT)}: {len(data['interactions'])} requests, {result.total} records")


PUBTATOR3_HEADER = f"""\
# SYNTHETIC DEMO CASSETTE. Recorded by scripts/make_demo.py: the demo run (demo/corpus.yaml's records, with the
# README's two imports) of the reference protocol with an extraction policy that takes PubTator3's annotations.
# Every record is synthetic (PMIDs from 90000001), not a real paper, and PubTator3 never saw them: its answers
# here were made up by evsynth.testing.pubtator3 and are not PubTator3's output. URLs rewritten to
# {NCBI_EUTILS_URL} and {PUBTATOR3_URL}; api_key and email are filtered out.
"""


def pubtator3_protocol(directory: Path) -> Path:
    """The reference protocol with PUBTATOR3_POLICY, as trd-pharmacogenomics-pubtator3, written into
    ``directory``."""
    text = PROTOCOL.read_text().replace("name: trd-pharmacogenomics\n", "name: trd-pharmacogenomics-pubtator3\n")
    path = directory / "trd-pharmacogenomics-pubtator3.yaml"
    path.write_text(text + "\n" + PUBTATOR3_POLICY)
    return path


def record_pubtator3_cassette(corpus: dict[str, Any]) -> None:
    defaults = corpus["defaults"]
    articles = [article_xml(entry, defaults) for entry in corpus["pubmed"]]
    served = Corpus.from_xml(article_set(articles))
    served.evaluate_queries = True
    lexicon = default_lexicon()
    served.annotations = {
        pmid: synthetic_document(pmid, record.record.title, record.record.abstract, lexicon)
        for pmid, record in served.records.items()
        if pmid != UNKNOWN_TO_PUBTATOR3 and record.record is not None
    }
    with tempfile.TemporaryDirectory() as tmp, serving(served) as server:
        protocol = load_protocol(pubtator3_protocol(Path(tmp)))
        partial = Path(tmp) / "cassette.yaml"
        settings = Settings(eutils_url=server.url, pubtator3_url=server.url + "pubtator3/", rate=None)
        with recording(partial), Store.open(Path(tmp) / "demo.sqlite") as store:
            result = run_protocol(protocol, store, EUtils(settings), Path(tmp) / "out", extra_imports=(SCOPUS, RIS))
        data = yaml.safe_load(partial.read_text())
    _save(data, server.url, PUBTATOR3_CASSETTE, PUBTATOR3_HEADER)
    assert result.annotations is not None
    requests = len(data["interactions"])
    requests = len(data["interactions"])
    print(f"{PUBTATOR3_CASSETTE.relative_to(ROOT)}: {requests} requests; {result.annotations.summary()}")


def audit_corpus(corpus: dict[str, Any]) -> Corpus:
    """What the audit demo's server serves: the corpus's PubMed part and demo/audit/records.yaml."""
    extra = yaml.safe_load((AUDIT / "records.yaml").read_text())["records"]
    return Corpus.from_xml(demo_article_set(corpus, extra))


def record_audit_cassette(corpus: dict[str, Any]) -> None:
    citations = read_references(AUDIT / "references.txt")
    with tempfile.TemporaryDirectory() as tmp, serving(audit_corpus(corpus)) as server:
        partial = Path(tmp) / "cassette.yaml"
        with recording(partial), Store.open(Path(tmp) / "audit.sqlite") as store:
            client = EUtils(Settings(eutils_url=server.url, rate=None))
            result = audit(citations, store, client, claims=read_claims(AUDIT / "claims.csv"))
        data = yaml.safe_load(partial.read_text())
    _save(data, server.url, AUDIT_CASSETTE, AUDIT_HEADER)
    print(f"{AUDIT_CASSETTE.relative_to(ROOT)}: {len(data['interactions'])} requests, {result.summary()}")


def _pubmed_entry(corpus: dict[str, Any], pmid: int) -> dict[str, Any]:
    for entry in corpus["pubmed"]:
        if int(entry["pmid"]) == pmid:
            return {**corpus["defaults"], **entry}
    raise KeyError(pmid)


def write_scopus(corpus: dict[str, Any]) -> None:
    rows = []
    for item in corpus["scopus"]:
        if "duplicate_of" in item:
            base = _pubmed_entry(corpus, int(item["duplicate_of"]))
            abstract = base.get("abstract") or ""
            if isinstance(abstract, dict):
                abstract = " ".join(abstract.values())
            row = {
                "Title": item.get("title_variant") or base["title"],
                "Year": str(base["date"])[:4],
                "Source title": base["journal"],
                "Abbreviated Source Title": base["journal_iso"],
                "DOI": f"10.5555/evsynth-demo.{base['pmid']}" if item["with_doi"] else "",
                "Abstract": abstract,
                "Language of Original Document": "English",
                "Document Type": "Review" if "Review" in base.get("types", []) else "Article",
                "EID": f"2-s2.0-{base['pmid']}",
                "PubMed ID": item["pmid"],
                "_pmid": int(base["pmid"]),
            }
        else:
            row = {
                "Title": item["title"], "Year": str(item["year"]),
                "Source title": item.get("journal", corpus["defaults"]["journal"]),
                "Abbreviated Source Title": "", "DOI": item["doi"], "Abstract": item["abstract"],
                "Language of Original Document": item.get("language", "English"),
                "Document Type": item["document_type"], "EID": item["eid"], "PubMed ID": "",
                "_pmid": int(item["eid"].rsplit("-", 1)[-1]),
            }  # fmt: skip
        names = author_names(row.pop("_pmid"))
        row.update({
            "Authors": "; ".join(n.split(",")[0] + " " + n.split(", ")[1][0] + "." for n in names),
            "Author full names": "; ".join(names), "Publication Stage": "Final", "Source": "Scopus",
            "Note": NOTE,
        })  # fmt: skip
        rows.append(row)
    with open(SCOPUS, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=SCOPUS_COLUMNS, restval="", quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{SCOPUS.relative_to(ROOT)}: {len(rows)} rows")


def write_ris(corpus: dict[str, Any]) -> None:
    lines = []
    for item in corpus["ris"]:
        if "duplicate_of" in item:
            base = _pubmed_entry(corpus, int(item["duplicate_of"]))
            abstract = base.get("abstract") or ""
            if isinstance(abstract, dict):
                abstract = " ".join(abstract.values())
            fields = [("TY", "JOUR"), ("TI", base["title"]), ("T2", base["journal"]), ("J2", base["journal_iso"]),
                      ("PY", str(base["date"])[:4]), ("AB", abstract), ("LA", "English")]  # fmt: skip
            fields += [("AU", n) for n in author_names(int(base["pmid"]))]
            if item["with_doi"]:
                fields.append(("DO", f"10.5555/evsynth-demo.{base['pmid']}"))
            if item["with_pmid"]:
                fields.append(("AN", str(base["pmid"])))
        else:
            fields = [("TY", "JOUR"), ("TI", item["title"]), ("T2", item["journal"]), ("PY", str(item["year"])),
                      ("AB", item["abstract"]), ("LA", "English"), ("DO", item["doi"])]  # fmt: skip
            fields += [("AU", n) for n in author_names(90_000_900 + len(lines))]
        fields.append(("N1", NOTE))
        lines += [f"{tag}  - {value}" for tag, value in fields] + ["ER  - ", ""]
    RIS.write_text("\n".join(lines), encoding="utf-8")
    print(f"{RIS.relative_to(ROOT)}: {len(corpus['ris'])} entries")


def main() -> int:
    corpus = yaml.safe_load(CORPUS.read_text())
    record_cassette(corpus)
    record_audit_cassette(corpus)
    write_scopus(corpus)
    write_ris(corpus)
    record_pubtator3_cassette(corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The tagger on synthetic sentences written for these tests (no text from real papers)."""

from __future__ import annotations

import pytest
from tests.helpers import shared_tagger

from evsynth.models import Mention
from evsynth.tagger import derived_names
from evsynth.tagger import lexicon as lexicon_module
from evsynth.tagger.case_rules import case_ok
from evsynth.tagger.lexicon import fold, needs_capital
from evsynth.tagger.tagger import Tagger, sentence_starts


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger()


def _by_text(mentions: list[Mention]) -> dict[str, Mention]:
    return {m.text: m for m in mentions}


def _attrs(mention: Mention) -> dict[str, object]:
    return dict(mention.attrs)


@pytest.mark.parametrize(
    ("text", "surface", "ncbi", "symbol"),
    [
        ("Serum BDNF fell after treatment.", "BDNF", "627", "BDNF"),
        ("Brain-derived neurotrophic factor rose in responders.", "Brain-derived neurotrophic factor", "627", "BDNF"),
        ("Ketamine acts through TrkB signalling in this model of ours.", "TrkB", "4915", "NTRK2"),
        ("The GluN2B subunit was blocked.", "GluN2B", "2904", "GRIN2B"),
        ("Serum IL-1ra rose in responders.", "IL-1ra", "3557", "IL1RN"),  # HGNC also lists IL-1Ra for IL6R
        ("We measured NR2B in the assay.", "NR2B", "2904", "GRIN2B"),
        ("GluA2 trafficking changed.", "GluA2", "2891", "GRIA2"),
        ("Plasma IL-6 and TNF-alpha were higher.", "IL-6", "3569", "IL6"),
        ("Plasma IL-6 and TNF-alpha were higher.", "TNF-alpha", "7124", "TNF"),
        ("Plasma TNF-α was higher.", "TNF-α", "7124", "TNF"),
        ("The mTOR pathway was activated.", "mTOR", "2475", "MTOR"),
        ("Levels of p11 predicted response.", "p11", "6281", "S100A10"),
        ("FKBP5 methylation was assessed.", "FKBP5", "2289", "FKBP5"),
    ],
)
def test_genes_normalise_to_hgnc_and_ncbi(tagger: Tagger, text: str, surface: str, ncbi: str, symbol: str) -> None:
    mention = _by_text(tagger.tag(text))[surface]
    assert (mention.type, mention.id, _attrs(mention)["symbol"]) == ("gene", ncbi, symbol)
    assert str(_attrs(mention)["hgnc"]).startswith("HGNC:")


@pytest.mark.parametrize(
    ("text", "surface", "family", "member"),
    [
        ("The NMDA receptor antagonist was given.", "NMDA receptor", "FPLX:GRIN", "GRIN2B"),
        ("AMPA receptors were potentiated.", "AMPA receptors", "FPLX:GRIA", "GRIA1"),
        ("Phosphorylated AKT increased.", "AKT", "FPLX:AKT", "AKT1"),
        ("ERK1/2 phosphorylation increased.", "ERK1/2", "FPLX:ERK", "MAPK3"),
    ],
)
def test_families_are_their_own_entities(tagger: Tagger, text: str, surface: str, family: str, member: str) -> None:
    mention = _by_text(tagger.tag(text))[surface]
    assert (mention.type, mention.id) == ("family", family)
    assert member in _attrs(mention)["members"]  # type: ignore[operator]


@pytest.mark.parametrize(
    "text",
    [
        "Patients with MDD received ECT or TMS after TRD was confirmed on MRI and PET; SD was 4.2.",
        "Nine CT scans were read.",
    ],
)
def test_psychiatry_abbreviations_are_not_genes(tagger: Tagger, text: str) -> None:
    assert [m.text for m in tagger.tag(text) if m.type == "gene"] == []


def test_a_word_after_a_structured_abstract_heading_starts_a_sentence(tagger: Tagger) -> None:
    # "Not" is NR4A2's alias NOT capitalised; first word of the sentence, so an English word
    text = "BACKGROUND: Not every patient improves. RESULTS: BDNF rose."
    assert [m.text for m in tagger.tag(text) if m.type == "gene"] == ["BDNF"]


def test_a_definition_in_the_text_decides_an_abbreviation(tagger: Tagger) -> None:
    text = "Electroconvulsive therapy (ECT) was given. ECT sessions numbered nine."
    treatments = [m for m in tagger.tag(text) if m.type == "treatment"]
    assert [m.text for m in treatments] == ["Electroconvulsive therapy", "ECT", "ECT"]
    assert {m.id for m in treatments} == {"MESH:D004565"}


def test_a_gene_product_long_form_keeps_its_symbol_a_method_long_form_drops_it(tagger: Tagger) -> None:
    # the long forms are spelt so that the lexicon does not know them: only their last word decides
    text = (
        "The copper zinc super-oxide dismutase (SOD1) was assayed by fluorescence in situ hybridization (FISH). "
        "SOD1 rose; FISH was repeated."
    )
    genes = [(m.text, m.id) for m in tagger.tag(text) if m.type == "gene"]
    assert genes == [("SOD1", "6647"), ("SOD1", "6647")]


@pytest.mark.parametrize(
    ("text", "surface", "symbol"),
    [
        ("Levels of the monokine induced by IFN-gamma (Mig) rose in the serum.", "Mig", "CXCL9"),  # IFN-gamma ends the
        ("The aryl hydrocarbon receptor nuclear translocator (Arnt) bound DNA.", "Arnt", "ARNT"),  # long form only
    ],
)
def test_a_long_form_defines_an_abbreviation_only_when_it_spells_it(
    tagger: Tagger, text: str, surface: str, symbol: str
) -> None:
    assert _attrs(_by_text(tagger.tag(text))[surface])["symbol"] == symbol


@pytest.mark.parametrize(
    "text",
    [
        "The type II receptor was expressed in all samples.",  # a Roman numeral alone is no gene, even before 'receptor'
        "The spatial pattern of the lesions was mapped.",  # a word-like alias (TBATA's 'spatial') needs support
        "Mesenchymal stromal MSC and Th1 cells were counted after SDS lysis and pGL3 transfection.",
    ],
)
def test_words_and_laboratory_abbreviations_are_not_genes(tagger: Tagger, text: str) -> None:
    assert [m.text for m in tagger.tag(text) if m.type == "gene"] == []


def test_a_short_alias_needs_support_from_the_text(tagger: Tagger) -> None:
    # FISH and HEK are HGNC aliases (of SH3PXD2A and EPHA3) but here a method and a cell line
    assert [m.text for m in tagger.tag("Loci were counted by FISH in HEK cells.") if m.type == "gene"] == []
    # the same kind of alias with a gene word after it, or named by its symbol elsewhere, is kept
    assert [m.text for m in tagger.tag("HEK expression rose.") if m.type == "gene"] == ["HEK"]


@pytest.mark.parametrize(
    ("text", "surface", "symbol"),
    [
        (
            "Cleavage by separase was measured.",
            "separase",
            "ESPL1",
        ),  # HGNC: 'extra spindle pole bodies like 1, separase'
        ("We assayed histone deacetylase II in the cells.", "histone deacetylase II", "HDAC2"),
        ("Levels of IL-1 alpha were raised.", "IL-1 alpha", "IL1A"),
        ("The b-catenin signal rose.", "b-catenin", "CTNNB1"),
        ("The TGF-b1 signal rose.", "TGF-b1", "TGFB1"),
        # symbols in the capitals papers give them
        ("The PTHrP protein was measured in the cells.", "PTHrP", "PTHLH"),
        ("Binding of rac1 to the effector was measured.", "rac1", "RAC1"),
        ("The apoE isoform mattered here.", "apoE", "APOE"),
    ],
)
def test_spellings_papers_use_for_hgnc_terms(tagger: Tagger, text: str, surface: str, symbol: str) -> None:
    assert _attrs(_by_text(tagger.tag(text))[surface])["symbol"] == symbol


@pytest.mark.parametrize(
    ("text", "surface", "symbol"),
    [
        # HGNC puts a receptor's subtype, a subunit or a chain length after the name; papers put it before
        ("Binding to the dopamine D2 receptor fell.", "dopamine D2 receptor", "DRD2"),  # dopamine receptor D2
        ("Binding to the D2 dopamine receptor fell.", "D2 dopamine receptor", "DRD2"),
        ("Binding to the D1 receptor fell.", "D1 receptor", "DRD1"),  # not LMOD1, whose alias is D1
        ("The type 1 angiotensin II receptor was blocked.", "type 1 angiotensin II receptor", "AGTR1"),
        ("The kappa opioid receptor was blocked.", "kappa opioid receptor", "OPRK1"),  # opioid receptor kappa 1
        ("The beta2-adrenoceptor was blocked.", "beta2-adrenoceptor", "ADRB2"),  # adrenoceptor beta 2
        (
            "The M3 muscarinic receptor was blocked.",
            "M3 muscarinic receptor",
            "CHRM3",
        ),  # cholinergic receptor muscarinic 3
        (
            "The alpha7 nicotinic acetylcholine receptor was blocked.",
            "alpha7 nicotinic acetylcholine receptor",
            "CHRNA7",
        ),
        ("The metabotropic glutamate receptor 5 was blocked.", "metabotropic glutamate receptor 5", "GRM5"),
        ("The 5-hydroxytryptamine 1A receptor was blocked.", "5-hydroxytryptamine 1A receptor", "HTR1A"),
        ("The luteinizing hormone beta-subunit was secreted.", "luteinizing hormone beta-subunit", "LHB"),
        ("The medium-chain acyl-CoA dehydrogenase was absent.", "medium-chain acyl-CoA dehydrogenase", "ACADM"),
        # peptides named for themselves, not for their precursor gene
        ("Plasma oxytocin rose.", "oxytocin", "OXT"),  # HGNC: 'oxytocin/neurophysin I prepropeptide'
        ("Plasma ghrelin rose.", "ghrelin", "GHRL"),  # HGNC: 'ghrelin and obestatin prepropeptide'
        ("Plasma vasopressin rose.", "vasopressin", "AVP"),
        ("Release of substance P rose.", "substance P", "TAC1"),
        ("Plasma ACTH rose.", "ACTH", "POMC"),
    ],
)
def test_word_orders_and_peptide_names_papers_use(tagger: Tagger, text: str, surface: str, symbol: str) -> None:
    assert _attrs(_by_text(tagger.tag(text))[surface])["symbol"] == symbol


def test_a_short_form_a_gene_name_defines_is_that_gene_not_a_family(tagger: Tagger) -> None:
    # SP is also FamPlex's family of Sp transcription factors; defined by 'substance P' it is TAC1 throughout
    text = "Serum substance P (SP) rose, and SP fell after treatment."
    assert [(m.text, _attrs(m).get("symbol")) for m in tagger.tag(text)] == [
        ("substance P", "TAC1"),
        ("SP", "TAC1"),
        ("SP", "TAC1"),
    ]
    # a one-word gene before the brackets does not turn the family into that gene
    assert [m.type for m in tagger.tag("Sp1 and Sp3 (SP) factors bound.") if m.text == "SP"] == ["family"]


def test_receptor_classes_named_by_a_letter_give_no_short_form() -> None:
    # 'EPH receptor B2' and 'adhesion G protein-coupled receptor B2' would make 'B2 receptor' ambiguous
    assert "B2 receptor" in derived_names._reordered("bradykinin receptor B2")
    for name in ("EPH receptor B2", "adhesion G protein-coupled receptor D1", "killer cell lectin like receptor D1"):
        assert not any(form.count(" ") == 1 for form in derived_names._reordered(name)), name


def test_lower_case_words_are_not_symbols(tagger: Tagger) -> None:
    text = "The cat sat at rest; max values were set."
    assert [m.text for m in tagger.tag(text) if m.type == "gene"] == []


@pytest.mark.parametrize(
    ("surface", "members", "family"),
    [
        ("miR-29a/c", ["hsa-miR-29a", "hsa-miR-29c"], "miR-29"),
        ("miR-132/212", ["hsa-miR-132", "hsa-miR-212"], "miR-132"),
        ("hsa-miR-223-3p", ["hsa-miR-223-3p"], "miR-223"),
        ("miR-146a-5p", ["hsa-miR-146a-5p"], "miR-146"),
        ("microRNA-124", ["hsa-miR-124"], "miR-124"),
        ("miRNA-16", ["hsa-miR-16"], "miR-16"),
        ("let-7b", ["hsa-let-7b"], "let-7"),
        ("let-7", ["hsa-let-7"], "let-7"),
        ("miR-26a, -34a and -145", ["hsa-miR-26a", "hsa-miR-34a", "hsa-miR-145"], "miR-26"),
        ("mmu-miR-1202", ["mmu-miR-1202"], "miR-1202"),
    ],
)
def test_micrornas_expand_and_normalise(tagger: Tagger, surface: str, members: list[str], family: str) -> None:
    text = f"Expression of {surface} changed after ketamine."
    mention = _by_text(tagger.tag(text))[surface]
    assert mention.type == "mirna"
    assert [m["id"] for m in _attrs(mention)["members"]] == members  # type: ignore[attr-defined]
    assert mention.id == ";".join(members)
    assert _attrs(mention)["family"] == family


def test_microrna_names_missing_from_mirbase_are_flagged(tagger: Tagger) -> None:
    known, unknown = (m for m in tagger.tag("Both miR-29a and miR-9999z rose.") if m.type == "mirna")
    assert _attrs(known)["in_mirbase"] is True
    assert _attrs(unknown)["in_mirbase"] is False


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("The proband carried a C deletion in codon 211 of the gene.", "C deletion in codon 211"),
        ("We found a deletion of a T nucleotide in exon 3.", "deletion of a T nucleotide"),
        ("This predicts Gln 415 to stop in the second exon.", "Gln 415 to stop"),
        ("It creates a premature stop codon at position 512, truncating it.", "stop codon at position 512"),
        ("Carriers of the IVS7+22 AG genotype differed.", "IVS7+22 AG"),
        ("A GACT deletion was found in both sisters.", "GACT deletion"),
        ("The A allele of -712 was rarer in cases.", "A allele of -712"),
        ("A cytosine to thymidine mutation at position 41 was found.", "cytosine to thymidine mutation at position 41"),
        ("The mutation p.K233stop truncates the protein.", "p.K233stop"),
        ("A short (CTTA)n tract lies in intron 2.", "(CTTA)n"),
    ],
)
def test_worded_variants_are_whole_spans(tagger: Tagger, text: str, surface: str) -> None:
    assert [m.text for m in tagger.tag(text) if m.type == "variant"] == [surface]


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("The G>A substitution was common in this cohort.", "G>A"),
        ("A G>A substitution at nucleotide 898 was found.", "G>A substitution at nucleotide 898"),
        ("An A to G transition was seen in two of the children.", "A to G"),
        ("An A to G transition at codon 52 was seen.", "A to G transition at codon 52"),
    ],
)
def test_a_change_word_joins_a_variant_only_with_its_position(tagger: Tagger, text: str, surface: str) -> None:
    assert [m.text for m in tagger.tag(text) if m.type == "variant"] == [surface]


def test_base_changes_are_found_whatever_else_the_text_says(tagger: Tagger) -> None:
    plain = "The TNF rs1800629 (G > A) variant was typed."
    worded = plain + " A deletion elsewhere was also seen."  # a trigger word far away must not change the result
    for text in (plain, worded):
        assert "G > A" in [m.text for m in tagger.tag(text) if m.type == "variant"]


def test_method_species_words_are_not_species_cues(tagger: Tagger) -> None:
    text = "BDNF was detected with a rabbit anti-BDNF antibody in serum from fetal bovine serum cultures of donors."
    genes = [m for m in tagger.tag(text) if m.type == "gene"]
    assert genes and all(_attrs(m)["species"] == "human" for m in genes)
    assert all(_attrs(m)["species"] == "rat" for m in tagger.tag("In rats, Bdnf rose.") if m.type == "gene")


def test_sentence_ends_at_line_breaks_and_not_after_abbreviations() -> None:
    text = "First part, e.g.\nnot a new sentence. Second one.\nthird line"
    assert sentence_starts(text) == [0, text.index("Second"), text.index("third")]


def test_a_family_is_named_with_the_member_hgnc_gives_its_name(tagger: Tagger) -> None:
    vegf = _by_text(tagger.tag("VEGF rose in the serum of these patients."))["VEGF"]
    assert vegf.type == "family"
    assert _attrs(vegf)["canonical"] == {"symbol": "VEGFA", "hgnc": "HGNC:12680", "id": "7422"}
    mapk = _by_text(tagger.tag("MAPK signalling was studied."))["MAPK"]
    assert "canonical" not in _attrs(mapk)  # a name HGNC gives no one member stays a plain family


def test_a_human_microrna_carries_its_hgnc_gene(tagger: Tagger) -> None:
    members = _attrs(_by_text(tagger.tag("miR-132 rose after ECT."))["miR-132"])["members"]
    assert members == [
        {"id": "hsa-miR-132", "family": "miR-132", "in_mirbase": True, "hgnc": "HGNC:31516", "gene_id": "406921"}
    ]


@pytest.mark.parametrize(
    ("surface", "norm"),
    [
        ("rs6265", "rs6265"),
        ("Val66Met", "p.Val66Met"),
        ("p.Val66Met", "p.Val66Met"),
        ("V66M", "p.Val66Met"),
        ("c.196G>A", "c.196G>A"),
    ],
)
def test_variants_normalise_and_attach_to_their_gene(tagger: Tagger, surface: str, norm: str) -> None:
    """Each name normalises; BDNF's Val66Met is a well-known variant, so every name of it is its rsID."""
    mention = _by_text(tagger.tag(f"The BDNF {surface} polymorphism was genotyped."))[surface]
    assert (mention.type, mention.id) == ("variant", "rs6265")
    assert _attrs(mention).get("named_as", "rs6265") == norm
    assert _attrs(mention)["gene"] == "BDNF"
    assert _attrs(mention)["gene_id"] == "627"


def test_alleles_and_genotypes_attach_and_are_not_genes(tagger: Tagger) -> None:
    mentions = tagger.tag("Carriers of the rs6265 Met allele and the CT genotype of rs1360780 in FKBP5 differed.")
    assert "Met" not in {m.text for m in mentions}
    by_text = _by_text(mentions)
    assert [a["allele"] for a in _attrs(by_text["rs6265"])["alleles"]] == ["Met"]  # type: ignore[index]
    assert [a["kind"] for a in _attrs(by_text["rs1360780"])["alleles"]] == ["genotype"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("surface", "ident", "modality"),
    [
        ("esketamine", "MESH:C000629870", "ketamine"),
        ("ketamine", "MESH:D007649", "ketamine"),
        ("arketamine", "evsynth:arketamine", "ketamine"),
        ("rTMS", "evsynth:rtms", "tms"),
        ("iTBS", "evsynth:itbs", "tms"),
        ("lithium", "MESH:D008094", "lithium"),
        ("psilocybin", "MESH:D011562", "psychedelic"),
        ("SSRIs", "MESH:D017367", "antidepressant"),
    ],
)
def test_treatments_normalise(tagger: Tagger, surface: str, ident: str, modality: str) -> None:
    mention = _by_text(tagger.tag(f"Response to {surface} was rated."))[surface]
    assert (mention.type, mention.id, _attrs(mention)["modality"]) == ("treatment", ident, modality)


def test_broader_mesh_kept_for_treatments_without_their_own(tagger: Tagger) -> None:
    mention = _by_text(tagger.tag("Response to rTMS was rated."))["rTMS"]
    assert _attrs(mention)["mesh"] == "MESH:D050781"


def test_rodent_species_keeps_symbol_but_not_the_human_id(tagger: Tagger) -> None:
    text = "In mice, ketamine raised Bdnf in the hippocampus of mice. Mouse Bdnf knockout mice did not respond."
    genes = [m for m in tagger.tag(text) if m.type == "gene"]
    assert genes and all(m.id is None and _attrs(m)["species"] == "mouse" for m in genes)
    assert {_attrs(m)["symbol"] for m in genes} == {"BDNF"}


def test_a_symbol_written_the_rodent_way_in_a_text_about_mice_is_the_mouse_gene(tagger: Tagger) -> None:
    text = "Tissue from mice was studied. The patients' samples showed Bmp4 and SMAD1 in the same cells."
    genes = {m.text: m for m in tagger.tag(text) if m.type == "gene"}
    assert _attrs(genes["Bmp4"])["species"] == "mouse" and genes["Bmp4"].id is None
    assert _attrs(genes["SMAD1"])["species"] == "human" and genes["SMAD1"].id == "4086"


def test_a_family_name_stands_for_its_representative_member(tagger: Tagger) -> None:
    erk = _by_text(tagger.tag("ERK was phosphorylated in the patients' cells."))["ERK"]
    assert erk.type == "family" and _attrs(erk)["canonical"] == {"symbol": "MAPK1", "hgnc": "HGNC:6871", "id": "5594"}


@pytest.mark.parametrize(
    ("text", "surface", "symbols"),
    [
        ("ERK1/2 rose in the cells.", "ERK1/2", ["MAPK3", "MAPK1"]),
        ("Smad1/5/8 signalling was high in the cells.", "Smad1/5/8", ["SMAD1", "SMAD5", "SMAD9"]),
        ("The CDK4/6 pair was blocked.", "CDK4/6", ["CDK4", "CDK6"]),
    ],
)
def test_a_composite_names_one_gene_per_number(tagger: Tagger, text: str, surface: str, symbols: list[str]) -> None:
    mention = _by_text(tagger.tag(text))[surface]
    named = _attrs(mention)["named"]
    assert isinstance(named, list) and [x["symbol"] for x in named] == symbols and all(x["id"] for x in named)
    rodent = _by_text(tagger.tag("In mice, " + text))[surface]
    assert all(x["id"] is None for x in _attrs(rodent)["named"])  # type: ignore[union-attr]


def test_sentence_index(tagger: Tagger) -> None:
    text = "BDNF was measured (e.g. in serum). Later, miR-132 was measured. Ketamine was given."
    assert sentence_starts(text) == [0, text.index("Later"), text.index("Ketamine")]
    assert [(m.text, m.sentence) for m in tagger.tag(text)] == [("BDNF", 0), ("miR-132", 1), ("Ketamine", 2)]


def test_longest_mention_wins_and_none_overlap(tagger: Tagger) -> None:
    mentions = tagger.tag("Brain-derived neurotrophic factor (BDNF) and the NMDA receptor subunit GluN2B.")
    spans = [(m.start, m.end) for m in mentions]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert "NMDA receptor subunit" in {m.text for m in mentions}


def test_keys_left_out_in_lower_case_could_never_match_there() -> None:
    """The lookup drops lower-case hits of keys whose entries all need a capital; case_ok must agree for every
    such entry of the packaged lexicon, or a mention would be lost."""
    lexicon = shared_tagger().lexicon
    flagged = [entries for entries, capital in lexicon.entry_sets() if capital]
    assert len(flagged) > 10_000
    for entries in flagged:
        for entry in entries:
            term = entry.term
            kind = entry.kind if entry.type == "gene" else "alias"
            assert needs_capital(entry)
            assert not case_ok(term.lower(), term, kind), entry
    hits = {
        text
        for text in ("the WAS protein was low", "the was protein")
        for s, e, _ in lexicon.lookup(text)
        if text[s:e] in ("WAS", "was")
    }
    assert hits == {"the WAS protein was low"}


@pytest.mark.parametrize("text", ["IL-6/TNF (alpha); p<0.05", "IL-6/TNF–α ‘x’ İy", "A\tB\u00a0C"])
def test_fold_keeps_length_and_maps_separators_alike_in_ascii_and_not(text: str) -> None:
    folded = fold(text)
    assert len(folded) == len(text)
    assert fold(text.replace("–", "-").replace("α", "a")) == folded.replace("α", "a")
    assert not any(c in folded for c in "-/()[];<.\t\u00a0–‘’")


@pytest.mark.parametrize("text", ["TNF–α? Yes; ΔFosB ≥ 2 µg", "İL-6 ǅ ẞ", "ΟΔΟΣ Σ-x", "all ascii? yes", "é"])
def test_fold_of_other_characters_is_the_whole_text_lowered(text: str) -> None:
    """Non-ASCII texts are folded character by character (a fast path); the result is what lowering the whole
    text and blanking the separators gives, a character that lengthens when lowered kept as written."""
    lowered = (
        text.lower()
        if len(text.lower()) == len(text)
        else "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    )
    assert fold(text) == "".join(" " if c in lexicon_module._FOLDED else c for c in lowered)


def test_first_two_characters_read_from_the_pattern() -> None:
    from evsynth.tagger.regex_openings import openings as _openings

    cases = {
        "(?:ab|c)d": ("ab", "cd"),
        "x?y": ("xy", "yz"),
        "[^a]b": ("cb", "Zb"),
        r"\d+X": ("09", "0X"),
        "(?=q)[A-C]d": ("Ad", "Cd"),
        "(?P<n>rs)|p\\.": ("rs", "p."),
        "a{2,3}b|c": ("aa", "c!"),
        r"\d++\s?[AG]": ("1 ", "2A"),
        "(?<=x)y": ("yy", "y"),
    }
    nots = {
        "(?:ab|c)d": ("ad", "cc", "a"),
        "x?y": ("xx", "x"),
        "[^a]b": ("aa", "cc"),
        r"\d+X": ("X0", "0Y"),
        "(?=q)[A-C]d": ("Dd", "qd"),
        "(?P<n>rs)|p\\.": ("rp", "p"),
        "a{2,3}b|c": ("ab", "b"),
        r"\d++\s?[AG]": ("1C", "A1"),
        "(?<=x)y": ("x",),
    }
    for pattern, yes in cases.items():
        opens = _openings(pattern)
        assert opens is not None, pattern
        assert all(opens.match(s) for s in yes), pattern
        assert not any(opens.match(s) for s in nots[pattern]), pattern
    assert _openings("a*") is None and _openings("(?:x?)+b") is None  # may match empty / unread: tried everywhere


def test_dispatched_scanners_agree_with_the_whole_alternation() -> None:
    import re

    from tests.helpers import shared_data

    from evsynth.tagger import variants
    from evsynth.tagger.evaluate import read_corpus

    whole = re.compile(r"[^\w.>]" + variants._BODY + variants._DIGIT_SOON + variants._ALTERNATIVES)
    texts = [doc["text"] for doc in read_corpus(shared_data() / "corpora" / "tmvar3" / "dev.jsonl")]
    tried = found = 0
    for text in texts:
        padded = " " + text
        for separator in variants._SEPARATOR.finditer(padded):
            at = separator.start()
            scanner = variants._scanner(padded[at + 1 : at + 3], True)
            got = scanner.match(padded, at) if scanner else None
            want = whole.match(padded, at)
            assert (got and (got.span(), got.lastgroup)) == (want and (want.span(), want.lastgroup)), text[at : at + 30]
            tried += 1
            found += want is not None
    assert tried > 10_000 and found > 300


def _first_gene_species(tagger: Tagger, text: str) -> str:
    return str(_attrs(next(m for m in tagger.tag(text) if m.type == "gene"))["species"])


def test_species_cues_are_whole_words_written_as_listed(tagger: Tagger) -> None:
    assert _first_gene_species(tagger, "BDNF rose in rats.") == "rat"
    assert _first_gene_species(tagger, "BDNF rose at a high rate.") == "human"  # 'rat' inside a word
    assert _first_gene_species(tagger, "BDNF rose (RATS trial).") == "human"  # not written as the cue is
    assert _first_gene_species(tagger, "BDNF rose in the mouse-derived cells.") == "mouse"


def test_a_curated_representative_comes_before_an_hgnc_alias(tagger: Tagger) -> None:
    family = next(m for m in tagger.tag("PI3K signalling was high in the patients' cells.") if m.type == "family")
    assert _attrs(family)["canonical"]["symbol"] == "PIK3CB"  # HGNC also lists PI3K as a PIK3CA alias


def test_genes_written_the_mouse_way_in_a_text_naming_no_species_are_mouse_genes(tagger: Tagger) -> None:
    text = "During differentiation Nlk suppressed Gli2 and Meox1, and Shh was unchanged."
    assert {m.text: _attrs(m)["species"] for m in tagger.tag(text)} == {
        "Nlk": "mouse",
        "Gli2": "mouse",
        "Meox1": "mouse",
        "Shh": "mouse",
    }
    # one protein name in several numbers is the style human papers use too: Smad2, Smad4 and Smad7 stay human
    text = "Smad7 bound the receptor, and Smad2 then joined Smad4 in the nucleus."
    assert {_attrs(m)["species"] for m in tagger.tag(text)} == {"human"}
    # a text that names a species decides by it
    text = "In patients, Nlk suppressed Gli2 and Meox1."
    assert {_attrs(m)["species"] for m in tagger.tag(text)} == {"human"}


def test_cell_lines_name_their_species(tagger: Tagger) -> None:
    assert _first_gene_species(tagger, "BDNF rose in RAW264.7 cells.") == "mouse"
    assert _first_gene_species(tagger, "BDNF rose in PC12 cells.") == "rat"
    assert _first_gene_species(tagger, "In mice and in MCF-7 and HepG2 cells, BDNF rose in MCF-7 cells.") == "human"


def test_laboratory_strains_name_their_species(tagger: Tagger) -> None:
    assert _first_gene_species(tagger, "BDNF rose in C57BL/6 and BALB/c animals.") == "mouse"
    assert _first_gene_species(tagger, "BDNF rose in Sprague-Dawley animals.") == "rat"


def test_a_long_form_spells_an_abbreviation_from_a_word_start() -> None:
    from evsynth.tagger.case_rules import acronym_of as _acronym_of

    assert _acronym_of("Arnt", ["aryl", "receptor", "nuclear", "translocator"])
    assert not _acronym_of("Arnt", ["translocator", "protein"])  # the A is inside a word only
    assert _acronym_of("IL-6", ["interleukin", "6"])


@pytest.mark.parametrize(
    ("text", "surface", "symbol"),
    [
        ("Serum interleukin (IL)-6 rose after the infusion.", "(IL)-6", "IL6"),
        ("Plasma tumor necrosis factor (TNF)-alpha fell in responders.", "(TNF)-alpha", "TNF"),
    ],
)
def test_a_name_split_by_its_abbreviation_is_joined(tagger: Tagger, text: str, surface: str, symbol: str) -> None:
    found = _by_text(tagger.tag(text))
    assert _attrs(found[surface])["symbol"] == symbol
    assert not {"IL", "TNF"} & set(found)  # the abbreviation in brackets is no mention of its own


def test_an_abbreviation_in_brackets_before_a_word_it_does_not_join_stays(tagger: Tagger) -> None:
    mentions = tagger.tag("Loss of von Hippel-Lindau (VHL)-deficient signalling was seen; VHL protein fell.")
    assert [m.text for m in mentions if m.type == "gene"].count("VHL") == 2


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("The ECM rose. Binding of the extracellular matrix (ECM) to cells rose too.", "ECM"),  # 'matrix' ends in ix
        ("We screened for the protein(s) that bind the BDNF promoter.", "protein(s"),
        ("The enzyme (EC 2.4.1.1) acts on BDNF mRNA.", "EC 2"),
        ("The deletion at 1p36.2-p36.1 spans the BDNF locus.", "p36"),
        ("The time constant (tau = 13 ms) was longer in BDNF knockout cells.", "tau"),
        ("The SH2 region of the Src homology 2 domain binds BDNF.", "Src"),
        ("A Src-like adapter protein binds BDNF.", "Src"),
        ("CD8+ T cells and BDNF rose.", "CD8"),
    ],
)
def test_what_a_name_is_part_of_is_not_that_gene(tagger: Tagger, text: str, surface: str) -> None:
    found = _by_text(tagger.tag(text))
    assert "BDNF" in found or surface == "ECM"
    assert surface not in found


def test_host_animals_of_a_xenograft_are_not_the_genes_species(tagger: Tagger) -> None:
    assert (
        _first_gene_species(tagger, "BDNF rose in the tumours. The cells grew as xenografts in nude mice.") == "human"
    )
    assert _first_gene_species(tagger, "BDNF rose in the tumours grown in athymic mice and in mice.") == "mouse"
    assert _first_gene_species(tagger, "BDNF rose in PANC-1 cells, which were also given to mice.") == "human"


def test_a_species_word_just_before_a_name_decides_its_species(tagger: Tagger) -> None:
    text = "Mouse Bdnf and the human BDNF gene were compared in one assay."
    species = {m.text: _attrs(m)["species"] for m in tagger.tag(text) if m.type == "gene"}
    assert species == {"Bdnf": "mouse", "BDNF": "human"}


def test_the_lexicon_pass_finds_the_variant_trigger_words_as_written(tagger: Tagger) -> None:
    from tests.helpers import shared_data

    from evsynth.tagger.evaluate import read_corpus
    from evsynth.tagger.lexicon import padded_fold
    from evsynth.tagger.variants import trigger_words
    from evsynth.tagger.wordlists import MIRNA_HINTS as HINTS

    synthetic = "A Deletion, deletions and an IVS-2 G to A (A to Gly) at codon 12; allele-of, serine to"
    texts = [synthetic] + [doc["text"] for doc in read_corpus(shared_data() / "corpora" / "tmvar3" / "dev.jsonl")]
    texts += [doc["text"] for doc in read_corpus(shared_data() / "corpora" / "scai_mirna" / "dev.jsonl")][:100]
    texts += ["Admirers of MIR-21", "a let-7 target", "mirror", "no hint here", "Micro-RNA 9"]
    for text in texts:
        padded = padded_fold(text)
        _, words, hinted, _ = tagger.lexicon.scan(text, padded)
        assert sorted(words) == sorted(trigger_words(text)), text[:60]
        assert hinted == any(hint in padded for hint in HINTS), text[:60]
    found = dict((w, s) for s, w in tagger.lexicon.scan(synthetic).words)
    assert {"deletion", "IVS", "G to A", "A to G", "codon", "serine"} <= set(found) and "allele of" not in found


def test_function_words_spelled_like_aliases_are_not_keys(tagger: Tagger) -> None:
    text = "In rats, HE staining and B-ALL blasts were scored. ALL OF the WAS patients had BDNF."
    genes = [m.text for m in tagger.tag(text) if m.type == "gene"]
    assert genes == ["WAS", "BDNF"]  # WAS is a symbol, not an alias: it stays a key
    assert tagger.lexicon.automaton.exists(" was ") and not tagger.lexicon.automaton.exists(" he ")


def test_the_lexicon_pass_finds_species_cues_beside_keys(tagger: Tagger) -> None:
    text = "In MICE and in HeLa cells (mice, Patients), BDNF rose; the rats' mice-derived cells."
    scan = tagger.lexicon.scan(text)
    assert [text[s : s + n] for s, n in scan.cues] == ["MICE", "HeLa", "mice", "Patients", "rats", "mice"]
    assert any(text[s:e] == "BDNF" for s, e, _ in scan.keys)


def test_a_hyphenated_alias_needs_no_support_but_a_word_like_one_does(tagger: Tagger) -> None:
    genes = {
        m.text: _attrs(m)["symbol"]
        for m in tagger.tag("GM-CSF and P-gp rose after FISH in the cohort.")
        if m.type == "gene"
    }
    assert genes == {"GM-CSF": "CSF2", "P-gp": "ABCB1"}  # FISH, an alias too, is a method here


def test_typeset_hyphens_and_a_capital_before_the_number(tagger: Tagger) -> None:
    found = {m.text: (m.type, m.id) for m in tagger.tag("miR\u2011145 and erbB3 rose in cT2-4 tumours.")}
    assert found["miR\u2011145"] == ("mirna", "hsa-miR-145")
    assert found["erbB3"][0] == "gene" and "cT2-4" not in found


def test_a_greek_letter_and_number_alone_is_no_gene_without_support(tagger: Tagger) -> None:
    assert not [m for m in tagger.tag("The beta3 and alpha4 subunits bound the ligand.") if m.type == "gene"]


def test_mesh_protein_names_of_one_gene_are_names(tagger: Tagger) -> None:
    # synthetic sentence: MeSH entry terms (alpha-Synuclein, Interleukin-8, Cyclooxygenase 2) name single genes
    text = "Alpha-synuclein, interleukin-8 and cyclooxygenase-2 rose; the lipase did not."
    genes = {m.text: _attrs(m)["symbol"] for m in tagger.tag(text) if m.type == "gene"}
    assert genes == {"Alpha-synuclein": "SNCA", "interleukin-8": "CXCL8", "cyclooxygenase-2": "PTGS2"}


def test_mesh_names_leave_out_classes_bacterial_proteins_and_symbol_protein(tagger: Tagger) -> None:
    # synthetic: 'protein A' is a staphylococcal protein, 'lipase' a MeSH class; 'STAT3 protein' keeps STAT3's span
    found = [(m.text, m.type) for m in tagger.tag("Protein A beads, lipase and STAT3 protein were used.")]
    assert found == [("STAT3", "gene")]


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("The hydroxylase and an exonuclease were purified.", {"hydroxylase", "exonuclease"}),  # enzyme classes
        ("Many of them 6 months later had none.", {"them 6"}),  # a word and a number are not the symbol THEM6
        ("THP-1 cells and THP-1 macrophages were primed.", {"THP-1"}),  # a cell line, though an alias of GLI2
        ("Arterial CO2 and O2 were recorded.", {"CO2", "O2"}),  # chemical formulae
    ],
)
def test_words_units_cell_lines_and_formulae_that_spell_gene_terms(tagger: Tagger, text: str, absent: set[str]) -> None:
    assert not absent & {m.text for m in tagger.tag(text)}


def test_an_abbreviation_with_a_number_its_long_form_lacks_keeps_its_own_gene(tagger: Tagger) -> None:
    # synthetic: the long form omits the 2, so (ACE2) is not defined as ACE by it
    found = {
        m.text: _attrs(m)["symbol"]
        for m in tagger.tag("It uses the angiotensin converting enzyme (ACE2) to enter; ACE2 binds the spike.")
        if m.type == "gene"
    }
    assert found == {"angiotensin converting enzyme": "ACE", "ACE2": "ACE2"}


def test_a_number_after_a_name_names_another_protein_but_a_dose_does_not(tagger: Tagger) -> None:
    # synthetic: 'tissue factor' (F3) is a name of words; 'tissue factor 2' would be another protein
    assert not tagger.tag("A tissue factor 2 was cloned.")
    assert [m.text for m in tagger.tag("Serum tissue factor 2 h after surgery rose.")] == ["tissue factor"]


def test_a_word_like_alias_between_genes_in_a_list_is_supported(tagger: Tagger) -> None:
    # synthetic: NCAM is an alias of NCAM1 that needs support; a list of genes around it gives it
    assert "NCAM" in {m.text for m in tagger.tag("It resembles CD34, NCAM, and CD20 in sequence.")}
    assert "NCAM" not in {m.text for m in tagger.tag("It resembles NCAM in sequence.")}
    assert "NCAM" not in {m.text for m in tagger.tag("It resembles NCAM and CD20 in sequence.")}


@pytest.mark.parametrize(
    ("text", "surface", "symbols"),
    [
        ("TGF-beta1 and -beta2 were induced.", "TGF-beta1 and -beta2", ["TGFB1", "TGFB2"]),
        ("MMP-1, -2, and -9 rose.", "MMP-1, -2, and -9", ["MMP1", "MMP2", "MMP9"]),
        ("SMAD1-4 bound.", "SMAD1-4", ["SMAD1", "SMAD2", "SMAD3", "SMAD4"]),
        ("AKR1C1-AKR1C4 were cloned.", "AKR1C1-AKR1C4", ["AKR1C1", "AKR1C2", "AKR1C3", "AKR1C4"]),
        ("MMP-1 to -3 rose.", "MMP-1 to -3", ["MMP1", "MMP2", "MMP3"]),
    ],
)
def test_elided_names_and_ranges_name_each_gene(tagger: Tagger, text: str, surface: str, symbols: list[str]) -> None:
    (mention,) = [m for m in tagger.tag(text) if m.type == "gene"]
    assert mention.text == surface
    assert [x["symbol"] for x in _attrs(mention)["named"]] == symbols


def test_a_hyphen_between_two_close_numbers_is_a_pair_not_a_range(tagger: Tagger) -> None:
    found = [(m.text, "named" in _attrs(m)) for m in tagger.tag("CDK4-6 inhibitors and the CAV1-CAV2 complex.")]
    assert found == [("CDK4", False), ("CAV1", False), ("CAV2", False)]


@pytest.mark.parametrize(
    ("text", "symbols"),
    [
        ("PKC isoforms alpha, epsilon, and zeta were active.", ["PRKCA", "PRKCE", "PRKCZ"]),
        ("ER alpha and beta were measured.", ["ESR1", "ESR2"]),
        ("RAR alpha and gamma bind.", ["RARA", "RARG"]),
    ],
)
def test_greek_letters_after_a_name_name_its_isoforms(tagger: Tagger, text: str, symbols: list[str]) -> None:
    (mention,) = tagger.tag(text)
    assert [x["symbol"] for x in _attrs(mention)["named"]] == symbols
    assert "TNF-alpha" in {m.text for m in tagger.tag("TNF-alpha and IL-6 rose.")}  # no list: stays as it was


def test_curated_names_are_read_at_load_without_a_rebuild() -> None:
    """An alias added to gene_names.yaml is tagged by the next load; the packaged lexicon is not rebuilt."""
    import gzip
    import json
    from importlib import resources

    from evsynth.errors import InputFileError
    from evsynth.tagger.lexicon import Lexicon, with_curated

    data = json.loads(gzip.decompress(resources.files("evsynth.tagger").joinpath("data/lexicon.json.gz").read_bytes()))
    text = "Serum zorblatin rose after ketamine."
    assert not [m for m in Tagger(Lexicon(with_curated(data, {}))).tag(text) if m.type == "gene"]
    tagged = Tagger(Lexicon(with_curated(data, {"names": {"BDNF": ["zorblatin"]}}))).tag(text)
    assert [(m.text, dict(m.attrs)["symbol"]) for m in tagged if m.type == "gene"] == [("zorblatin", "BDNF")]
    with pytest.raises(InputFileError, match=r"gene_names.yaml: names: 'NOTAGENE1' is not an approved HGNC symbol"):
        with_curated(data, {"names": {"NOTAGENE1": ["x"]}})
    with pytest.raises(InputFileError, match=r"representatives: 'BDNF' is not a member of 'ERK'"):
        with_curated(data, {"representatives": {"ERK": "BDNF"}})


# Each named rule of the text (rules.HIT_RULES, and list_support) on a synthetic sentence: what it decides, and
# what the tagger says with that rule switched off (as benchmarks/bench_extract.py --without RULE does).
RULE_CASES = [
    ("cell_line", "THP-1 cells were stimulated and THP-1 expression of IL6 rose.",
     [("IL6", "gene")], [("THP-1", "gene"), ("THP-1", "gene"), ("IL6", "gene")]),
    ("roman_numeral", "The type II receptor was studied in phase II of the trial.", [], [("II", "gene")]),
    ("word_like_alias", "The spatial pattern of FISH signals was scored.", [], [("spatial", "gene"), ("FISH", "gene")]),
    ("treatment_or_long_name", "Patients received ECT twice weekly.", [("ECT", "treatment")], []),
    ("defined_in_text", "The tail suspension test (TST) was used; TST immobility fell.", [],
     [("TST", "gene"), ("TST", "gene")]),
    ("stop_listed", "Patients completed the REST protocol and the SET interview.", [], [("REST", "gene"), ("SET", "gene")]),
    ("list_support", "Cells expressed CD34, NCAM, and CD20 at high levels.",
     [("CD34", "gene"), ("NCAM", "gene"), ("CD20", "gene")], [("CD34", "gene"), ("CD20", "gene")]),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "text", "with_rule", "without_rule"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_each_named_rule_decides_its_case(rule: str, text: str, with_rule: list, without_rule: list) -> None:  # type: ignore[type-arg]
    tagger = shared_tagger()
    off = Tagger(tagger.lexicon, without=frozenset({rule}))
    assert [(m.text, m.type) for m in tagger.tag(text)] == with_rule
    assert [(m.text, m.type) for m in off.tag(text)] == without_rule


def test_every_named_rule_has_a_case_and_unknown_rules_are_refused() -> None:
    from evsynth.tagger.rules import RULE_NAMES

    assert sorted(RULE_NAMES) == sorted(case[0] for case in RULE_CASES)
    with pytest.raises(ValueError, match="unknown rule.*roman_numerals.*the rules: cell_line"):
        Tagger(shared_tagger().lexicon, without=frozenset({"roman_numerals"}))

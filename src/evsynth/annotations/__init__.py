"""The extract stage's second source: annotations by other tools (PubTator3's export API, PubTator and BioC
files), placed on the records' text, joined to evsynth's identifiers and merged with evsynth's own tags as the
protocol's ``extraction`` policy says."""

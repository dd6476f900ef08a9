"""MeSH explosion: a descriptor and every descriptor under it in the MeSH tree.

evsynth ships no MeSH tree: NLM's files are not installable offline (no package on PyPI, npm or Debian carries
them). Give one, NLM's ``mtreesYYYY.bin`` (one ``Descriptor name;Tree number`` line per tree position, from
https://www.nlm.nih.gov/databases/download/mesh.html), to :meth:`MeshTree.from_file`. Without it a ``[mh]``
term matches its own descriptor only, and the evaluator says which terms it could not explode.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from evsynth.errors import InputFileError
from evsynth.fileio import read_input_text
from evsynth.text import fold


@dataclass
class MeshTree:
    """Descriptor names (folded) and their tree numbers."""

    numbers: dict[str, list[str]] = field(default_factory=dict)  # folded name -> tree numbers
    _by_number: dict[str, str] = field(default_factory=dict)  # tree number -> folded name

    @classmethod
    def from_lines(cls, lines: list[str], source: str = "the MeSH tree") -> MeshTree:
        numbers: dict[str, list[str]] = defaultdict(list)
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            name, sep, tree_number = line.rpartition(";")
            if not sep or not name.strip() or not tree_number.strip():
                raise InputFileError(f"{source}: line {number}: not 'Descriptor name;Tree number' ({line[:60]!r})")
            numbers[fold(name)].append(tree_number.strip())
        tree = cls(dict(numbers))
        tree._by_number = {n: name for name, ns in tree.numbers.items() for n in ns}
        return tree

    @classmethod
    def from_file(cls, path: Path) -> MeshTree:
        """Read NLM's ``mtrees`` file.

        Raises:
            InputFileError: missing or unreadable file, a line that is not ``name;number``.
        """
        return cls.from_lines(read_input_text(path).splitlines(), str(path))

    def __contains__(self, name: str) -> bool:
        return fold(name) in self.numbers

    def narrower(self, name: str) -> set[str]:
        """The folded names of ``name`` and every descriptor below any of its tree positions."""
        folded = fold(name)
        found = {folded}
        for number in self.numbers.get(folded, []):
            prefix = number + "."
            found.update(n for tree_number, n in self._by_number.items() if tree_number.startswith(prefix))
        return found

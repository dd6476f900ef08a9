"""Errors a user can fix. Their messages are shown as-is, on one line, by the CLI.

Every message names what went wrong and where (file, key, value). Bugs are not
wrapped: a ``KeyError`` in our code should still show a traceback.
"""

from __future__ import annotations


class EvsynthError(Exception):
    """An error the user can fix; its message is shown as-is."""

    exit_code = 1


class ProtocolError(EvsynthError):
    """The protocol YAML file is missing, unreadable or invalid."""


class InputFileError(EvsynthError):
    """An input file (XML, MEDLINE, RIS, CSV, cassette) is missing or malformed."""


class PubmedXMLError(InputFileError):
    """PubMed XML that cannot be parsed."""


class StoreError(EvsynthError):
    """The SQLite store cannot be opened, is corrupt, or is not writable."""


class OutputError(EvsynthError):
    """An output directory or file cannot be written."""


class EutilsError(EvsynthError):
    """E-utilities answered with an error that retrying will not fix."""

    exit_code = 3


class HarvestGaveUp(EutilsError):
    """Retries were exhausted; everything fetched so far is kept in the store."""

    exit_code = 3


class CassetteError(EvsynthError):
    """A --replay cassette is missing, or a request is not in it."""

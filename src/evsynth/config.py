"""Settings, resolved once by the CLI and passed down. The only module that reads the environment.

Precedence: command-line flag > environment variable > default.

=====================  ======================  ==============================================
setting                environment             default
=====================  ======================  ==============================================
eutils_url             EVSYNTH_EUTILS_URL      https://eutils.ncbi.nlm.nih.gov/entrez/eutils/
pubtator3_url          EVSYNTH_PUBTATOR3_URL   https://www.ncbi.nlm.nih.gov/research/pubtator3-api/
email                  NCBI_EMAIL              "" (NCBI asks for one; sent when set)
api_key                NCBI_API_KEY            none (3 requests/s; 10/s with a key)
tool                   EVSYNTH_TOOL            evsynth
reviewer (decide)      EVSYNTH_REVIEWER        $USER / $LOGNAME, else ""
cache folder           EVSYNTH_CACHE_DIR       $XDG_CACHE_HOME/evsynth, else ~/.cache/evsynth ("off": none)
=====================  ======================  ==============================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlparse

from evsynth.errors import EvsynthError

NCBI_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
PUBTATOR3_URL = "https://www.ncbi.nlm.nih.gov/research/pubtator3-api/"


@dataclass(frozen=True)
class Settings:
    """How to reach E-utilities and how politely.

    ``rate`` is requests per second (3 without an API key, 10 with one); ``None``
    disables the limiter (replaying a cassette, where nothing goes on the wire). ``timeout`` bounds each wait
    for the server (to connect, or for the next bytes); ``request_deadline`` the whole of one request, headers
    and body (a server that sends a byte a second never meets ``timeout``); ``max_response_bytes`` the size of
    one answer; ``give_up_after`` when retries stop.
    """

    eutils_url: str = NCBI_EUTILS_URL
    pubtator3_url: str = PUBTATOR3_URL
    email: str = ""
    api_key: str = ""
    tool: str = "evsynth"
    rate: float | None = 3.0
    timeout: float = 60.0
    request_deadline: float = 300.0
    max_response_bytes: int = 512 * 1024 * 1024
    max_attempts: int = 8
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    give_up_after: float = 600.0

    def with_rate(self, rate: float | None) -> Settings:
        """A copy with another request rate."""
        return replace(self, rate=rate)


def resolve_settings(
    *,
    eutils_url: str | None = None,
    email: str | None = None,
    api_key: str | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Build :class:`Settings` from flags, then the environment, then defaults.

    Raises:
        EvsynthError: the E-utilities URL is not an http(s) URL.
    """
    env = os.environ if environ is None else environ
    url = _base_url(eutils_url or env.get("EVSYNTH_EUTILS_URL") or NCBI_EUTILS_URL, "--eutils-url")
    pubtator3 = _base_url(env.get("EVSYNTH_PUBTATOR3_URL") or PUBTATOR3_URL, "EVSYNTH_PUBTATOR3_URL")
    key = api_key if api_key is not None else env.get("NCBI_API_KEY", "")
    return Settings(
        eutils_url=url,
        pubtator3_url=pubtator3,
        email=email if email is not None else env.get("NCBI_EMAIL", ""),
        api_key=key.strip(),
        tool=env.get("EVSYNTH_TOOL", "evsynth"),
        rate=10.0 if key.strip() else 3.0,
    )


def _base_url(url: str, what: str) -> str:
    """An http(s) base URL ending in '/'."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise EvsynthError(f"{what}: {url!r} is not an http(s) URL")
    return url if url.endswith("/") else url + "/"


def cache_dir(environ: dict[str, str] | None = None) -> Path | None:
    """Where evsynth keeps what it can make again (the compiled lexicon), or None when caching is off."""
    env = os.environ if environ is None else environ
    chosen = env.get("EVSYNTH_CACHE_DIR", "")
    if chosen.strip().lower() == "off":
        return None
    if chosen:
        return Path(chosen)
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "evsynth"


def default_reviewer(environ: dict[str, str] | None = None) -> str:
    """Who is recording a reviewer decision when ``--reviewer`` is not given."""
    env = os.environ if environ is None else environ
    return env.get("EVSYNTH_REVIEWER") or env.get("USER") or env.get("LOGNAME") or ""

"""The provenance panel of a video page: what the stored file's C2PA manifest says about it.

The file is verified as stored (downloaded from storage, local or S3), not as the database
remembers it, so the page tells the truth even if the object was replaced behind our back.
Only the manifest's facts are shown; the manifest holds a hash of the prompt, never the prompt.

A verdict is remembered for `VERIFIED_FOR` (per process, the `REMEMBERED` newest), so a
popular video is not downloaded and verified again at every view: a file replaced in storage
shows as such within that time. "missing" and "unchecked" are not remembered (they may be a
passing fault).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reelmint.bootstrap import Services
from reelmint.domains.videos.models import Video
from reelmint.engine.errors import EngineError
from reelmint.engine.postprocess.provenance import VerificationReport, verify_file
from reelmint.scratch import scratch_folder
from reelmint.storage.base import StorageError

log = logging.getLogger("reelmint.web")

SUMMARIES: dict[str, str] = {
    "valid": "Intact, and signed by this reelmint server.",
    "untrusted": "Intact, but signed by someone this server does not trust.",
    "tampered": "The file or its manifest was changed after signing.",
    "unsigned": "The file carries no C2PA manifest.",
    "missing": "The video file is missing from storage.",
    "unchecked": "The provenance could not be checked right now.",
}

# Manifest facts shown on the page, in this order, under these names.
_SHOWN_FACTS: tuple[tuple[str, str], ...] = (
    ("generator", "Generator"),
    ("signer_common_name", "Signer"),
    ("signer_issuer", "Issuer"),
    ("source_type", "Source type"),
    ("when", "Created"),
    ("backend", "Backend"),
    ("prompt_sha256", "Prompt SHA-256"),
)


@dataclass(frozen=True)
class Provenance:
    """What the page shows: a status word, a sentence, and the manifest's facts."""

    status: str
    summary: str
    facts: tuple[tuple[str, str], ...] = ()
    problems: tuple[str, ...] = ()


VERIFIED_FOR = 300.0  # seconds
REMEMBERED = 1024
_LASTING = frozenset({"valid", "untrusted", "tampered", "unsigned"})


class _Verdicts:
    """Recent verdicts by (keys folder, storage key), the oldest forgotten first."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str], tuple[float, Provenance]] = OrderedDict()

    def get(self, key: tuple[str, str]) -> Provenance | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or self.clock() - found[0] >= VERIFIED_FOR:
                return None
            return found[1]

    def put(self, key: tuple[str, str], verdict: Provenance) -> None:
        with self._lock:
            self._items[key] = (self.clock(), verdict)
            self._items.move_to_end(key)
            while len(self._items) > REMEMBERED:
                self._items.popitem(last=False)


_verdicts = _Verdicts()


def video_provenance(*, services: Services, video: Video) -> Provenance | None:
    """The stored video file's verdict, verified now or within `VERIFIED_FOR`; None while
    there is no file yet."""
    if video.status != "completed" or not video.video_key:
        return None
    key = (str(services.settings.keys_dir), video.video_key)
    verdict = _verdicts.get(key)
    if verdict is None:
        verdict = _verify(services=services, video=video)
        if verdict.status in _LASTING:
            _verdicts.put(key, verdict)
    return verdict


def _verify(*, services: Services, video: Video) -> Provenance:
    assert video.video_key is not None
    with scratch_folder("verify") as scratch:
        path = Path(scratch) / "video.mp4"
        try:
            services.storage.download(video.video_key, path)
        except StorageError:
            return Provenance("missing", SUMMARIES["missing"])
        try:
            report = verify_file(path, keys_dir=services.settings.keys_dir)
        except EngineError as exc:
            log.warning("cannot verify %s: %s", video.id, exc)
            return Provenance("unchecked", SUMMARIES["unchecked"])
    return from_report(report)


def from_report(report: VerificationReport) -> Provenance:
    facts = tuple(
        (label, str(report.facts[key]))
        for key, label in _SHOWN_FACTS
        if report.facts.get(key) not in (None, "")
    )
    return Provenance(report.status, SUMMARIES[report.status], facts, report.problems)

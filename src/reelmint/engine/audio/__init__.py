"""Procedural sound (numpy only): an ambient bed per setting, sound events for what subjects
do, and tone voices for dialogue, mixed into a track exactly as long as the video.

`soundtrack` is what the preview renderer calls; `ambient_bed` / `ambient_track` serve neural
backends whose model makes no sound. Deterministic for a seed: every sound draws from its own
numpy Generator keyed by (seed, shot, purpose), never from global state.
"""

from __future__ import annotations

from reelmint.engine.audio.ambient import ambient_bed
from reelmint.engine.audio.mix import ambient_track, soundtrack

__all__ = ["ambient_bed", "ambient_track", "soundtrack"]

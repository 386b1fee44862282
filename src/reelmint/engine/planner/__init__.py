"""The rule-based storyboard planner: free text or storyboard cards in, a Storyboard out.

Deterministic and offline: no model, no randomness, no clock. `reelmint.engine.storyboard`
re-exports `plan`, `load_storyboard` and `load_storyboard_file`; import them from there.

Modules, in the order a prompt goes through them: `text` (sentences, clauses, words),
`lexicon` + `words` + `inflect` (what the words mean), `extract` (one shot's facts),
`scene` (continuity and defaults), `durations` (seconds per shot), `compose` (each shot's
prompt); `from_prompt` and `from_cards` drive them.
"""

from __future__ import annotations

from reelmint.engine.planner.from_cards import load_storyboard, load_storyboard_file
from reelmint.engine.planner.from_prompt import plan

__all__ = ["load_storyboard", "load_storyboard_file", "plan"]

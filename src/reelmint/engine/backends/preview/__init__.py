"""The `preview` backend: a procedural animatic renderer (numpy + Pillow, CPU only).

`PreviewBackend` is what the registry loads; `Scene` / `layout` expose the pure layout (where the
camera and every sprite are at a time) that the renderer draws from, for tests and tools.
"""

from reelmint.engine.backends.preview.backend import PreviewBackend
from reelmint.engine.backends.preview.scene import Layout, PlacedSprite, Scene, layout

__all__ = ["Layout", "PlacedSprite", "PreviewBackend", "Scene", "layout"]

"""Engines: what runs a seq2seq model, behind one interface briefer owns.

``base`` defines GenerationSettings and the Engine protocol, ``settings`` resolves a model
folder's settings as transformers does, ``registry`` names the engines (``torch``,
``ctranslate2`` and any a package adds), and each engine is one module.
"""

from __future__ import annotations

from .base import Engine, GenerationSettings
from .registry import EngineSpec, load

__all__ = ["Engine", "EngineSpec", "GenerationSettings", "load"]

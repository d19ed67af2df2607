"""Presentation layer: compact, paper-style views of derived results.

Never changes a value: every form is proved equal to the canonical result
(exact difference cancelled to zero) before it is returned.
"""
from .abbreviations import Abbreviation, occupation_abbreviations, rate_abbreviations
from .compact import CompactForms, compact, ops, total_ops

__all__ = ["Abbreviation", "CompactForms", "compact", "occupation_abbreviations",
           "rate_abbreviations", "ops", "total_ops"]

"""Data Prep, the one evaluator: an expression parser and the function library.

Pure (no I/O, nothing else of aepflow): ``aepflow validate`` checks calculated fields with
:func:`check`, ``aepflow preview`` and the emulator evaluate them with :func:`evaluate`.
The functions and their documented signatures are those of help/data-prep/functions.md.
"""

from __future__ import annotations

from aepflow.dataprep.dates import iso
from aepflow.dataprep.evaluate import (
    FUNCTIONS,
    Problem,
    UnsupportedFunction,
    check,
    evaluate,
    lookup,
)
from aepflow.dataprep.parser import ExpressionError, parse
from aepflow.dataprep.records import FieldError, Record, Rule, Target, apply, conform
from aepflow.dataprep.registry import EvaluationError, Function

__all__ = [
    "FUNCTIONS",
    "EvaluationError",
    "ExpressionError",
    "FieldError",
    "Function",
    "Problem",
    "Record",
    "Rule",
    "Target",
    "UnsupportedFunction",
    "apply",
    "check",
    "conform",
    "evaluate",
    "iso",
    "lookup",
    "parse",
]

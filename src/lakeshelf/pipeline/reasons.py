"""Why a raw line did not parse, in words a person can act on (quarantine reasons).

Runs only for malformed rows: Spark's PERMISSIVE parsers say *that* a row is malformed, these
functions say *why* (wrong field count, bad quoting, a value that is not a valid int...).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

REPLACEMENT = "\ufffd"


def reason(raw: str | None, context: dict[str, Any]) -> str:
    """Why one raw line did not parse, in words (runs only for malformed rows)."""
    if raw is None:
        return "unreadable row"
    if REPLACEMENT in raw:
        return "not valid UTF-8 text (invalid bytes shown as U+FFFD)"
    if context["format"] == "json":
        return _json_reason(raw, context)
    try:
        tokens = next(
            csv.reader([raw], delimiter=context["sep"], quotechar=context["quote"], strict=True)
        )
    except csv.Error as exc:
        return f"bad quoting: {exc}"
    columns = context["columns"]
    if len(tokens) != len(columns):
        return f"expected {len(columns)} fields, found {len(tokens)}"
    for column, value in zip(columns, tokens, strict=True):
        problem = _value_problem(value, context["types"][column], context["null"])
        if problem:
            return f"column {column}: {problem}"
    return "row does not match the declared schema"


def _json_reason(raw: str, context: dict[str, Any]) -> str:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg} (character {exc.pos + 1})"
    if not isinstance(value, dict):
        return f"a JSON line must be an object, found {type(value).__name__}"
    for column, type_name in context["types"].items():
        item = value.get(column)
        if item is None or type_name == "string":
            continue
        if isinstance(item, (dict, list)) or (
            isinstance(item, str)
            and type_name
            not in (
                "date",
                "timestamp",
                "timestamp_ntz",
            )
        ):
            return f"field {column}: {json.dumps(item)[:60]} is not a valid {type_name}"
        problem = _value_problem(str(item), type_name, "")
        if problem:
            return f"field {column}: {problem}"
    return "row does not match the declared schema"


_INT_RANGES = {
    "tinyint": 7,
    "byte": 7,
    "smallint": 15,
    "short": 15,
    "int": 31,
    "integer": 31,
    "bigint": 63,
    "long": 63,
}


def _value_problem(value: str, type_name: str, null_value: str) -> str | None:
    if value == "" or value == null_value:
        return None
    kind = type_name.lower().split("(")[0]
    try:
        if kind in _INT_RANGES:
            number = int(value)
            bits = _INT_RANGES[kind]
            if not -(2**bits) <= number < 2**bits:
                return f"{value!r} is out of range for {type_name}"
        elif kind in ("float", "double"):
            float(value)
        elif kind == "decimal":
            Decimal(value)
        elif kind == "boolean":
            if value.lower() not in ("true", "false"):
                raise ValueError
        elif kind == "date":
            dt.date.fromisoformat(value)
        elif kind in ("timestamp", "timestamp_ntz"):
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, InvalidOperation):
        return f"{value[:60]!r} is not a valid {type_name}"
    return None

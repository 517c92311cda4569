"""Conversions between Spark schemas and Delta schemas, including column mapping.

Delta's schema serialisation is Spark's ``StructType`` JSON, so the conversion is a JSON round trip.
Column mapping (modes ``name`` and ``id``) stores data under physical column names;
``physical_type`` derives the Parquet-side schema a reader must request.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deltalake import Schema as DeltaSchema
    from pyspark.sql.types import DataType, StructType

PHYSICAL_NAME = "delta.columnMapping.physicalName"
COLUMN_ID = "delta.columnMapping.id"
PARQUET_FIELD_ID = "parquet.field.id"


def to_delta(schema: StructType) -> DeltaSchema:
    """The Delta schema for a Spark schema (field metadata is kept)."""
    from deltalake import Schema

    return Schema.from_json(schema.json())


def to_spark(schema_json: str | dict[str, Any]) -> StructType:
    """The Spark schema for a Delta schema given as JSON text or a parsed dict."""
    from pyspark.sql.types import StructType

    data = json.loads(schema_json) if isinstance(schema_json, str) else schema_json
    return StructType.fromJson(data)


def physical_type(data_type: DataType, mode: str) -> DataType:
    """The Parquet-side type of ``data_type`` under column mapping ``mode`` (none, name or id).

    Struct fields are renamed to their physical names, recursively through arrays and maps; in
    ``id`` mode each field also carries its Parquet field id so Spark matches columns by id.
    """
    from pyspark.sql.types import ArrayType, MapType, StructField, StructType

    if mode == "none":
        return data_type
    if isinstance(data_type, StructType):
        fields = []
        for field in data_type.fields:
            meta = field.metadata or {}
            name = meta.get(PHYSICAL_NAME, field.name)
            new_meta = (
                {PARQUET_FIELD_ID: int(meta[COLUMN_ID])}
                if mode == "id" and COLUMN_ID in meta
                else {}
            )
            fields.append(
                StructField(name, physical_type(field.dataType, mode), field.nullable, new_meta)
            )
        return StructType(fields)
    if isinstance(data_type, ArrayType):
        return ArrayType(physical_type(data_type.elementType, mode), data_type.containsNull)
    if isinstance(data_type, MapType):
        return MapType(
            physical_type(data_type.keyType, mode),
            physical_type(data_type.valueType, mode),
            data_type.valueContainsNull,
        )
    return data_type


def logical_type(data_type: DataType) -> DataType:
    """``data_type`` with column-mapping metadata removed (what readers are shown)."""
    from pyspark.sql.types import ArrayType, MapType, StructField, StructType

    if isinstance(data_type, StructType):
        return StructType(
            [
                StructField(
                    f.name,
                    logical_type(f.dataType),
                    f.nullable,
                    {k: v for k, v in (f.metadata or {}).items() if not k.startswith("delta.")},
                )
                for f in data_type.fields
            ]
        )
    if isinstance(data_type, ArrayType):
        return ArrayType(logical_type(data_type.elementType), data_type.containsNull)
    if isinstance(data_type, MapType):
        return MapType(
            logical_type(data_type.keyType),
            logical_type(data_type.valueType),
            data_type.valueContainsNull,
        )
    return data_type


def describe_difference(expected: StructType, actual: StructType) -> str:
    """A readable, one-line-per-column description of how ``actual`` differs from ``expected``."""
    exp = {f.name: f.dataType.simpleString() for f in expected.fields}
    act = {f.name: f.dataType.simpleString() for f in actual.fields}
    lines = [f"  - {n}: {t} (missing from the data)" for n, t in exp.items() if n not in act]
    lines += [f"  + {n}: {t} (not in the table)" for n, t in act.items() if n not in exp]
    lines += [
        f"  ~ {n}: table has {exp[n]}, data has {act[n]}"
        for n in exp
        if n in act and exp[n] != act[n]
    ]
    return "\n".join(lines) or "  (same columns, different nullability or order)"

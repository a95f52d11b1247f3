"""JSON Schema (2020-12, as OpenAPI 3.1 uses it) from our TypedDicts, so the schema can't drift from the shapes.

Each TypedDict becomes one named component; a response TypedDict allows no
other keys, so a field added to a payload builder but not to its TypedDict
fails the test suite, which checks every API answer against the schema.
"""

from __future__ import annotations

import types
from typing import (
    Any,
    Literal,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

SIMPLE_TYPES = {str: "string", int: "integer", bool: "boolean", float: "number", type(None): "null"}


class Components:
    """The `components.schemas` of a document, filled as types are referred to."""

    def __init__(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}

    def ref(self, typed_dict: type, *, closed: bool = True) -> dict[str, Any]:
        name = typed_dict.__name__
        if name not in self.schemas:
            self.schemas[name] = {}  # taken before recursing, for shapes that refer to themselves
            properties, required = {}, []
            for key, hint in get_type_hints(typed_dict, include_extras=True).items():
                # Read here, not from __required_keys__: under postponed annotations
                # Python 3.11 doesn't see NotRequired when it builds the class.
                # __optional_keys__ does know each class's own totality, inherited keys included.
                optional = get_origin(hint) is NotRequired or (
                    key in typed_dict.__optional_keys__ and get_origin(hint) is not Required
                )
                if get_origin(hint) in (NotRequired, Required):
                    hint = get_args(hint)[0]
                properties[key] = self.schema(hint)
                if not optional:
                    required.append(key)
            self.schemas[name] = {
                "type": "object",
                "properties": properties,
                "required": sorted(required),
                **({"additionalProperties": False} if closed else {}),
            }
            if typed_dict.__doc__ and typed_dict.__doc__ is not dict.__doc__:
                self.schemas[name]["description"] = " ".join(typed_dict.__doc__.split())
        return {"$ref": f"#/components/schemas/{name}"}

    def schema(self, hint: Any) -> dict[str, Any]:
        if hint in SIMPLE_TYPES:
            return {"type": SIMPLE_TYPES[hint]}
        if hint is Any or hint is dict:
            return {}
        if is_typeddict(hint):
            return self.ref(hint)
        origin, args = get_origin(hint), get_args(hint)
        if origin is Literal:
            return {"const": args[0]} if len(args) == 1 else {"enum": list(args)}
        if origin in (Union, types.UnionType):
            return {"anyOf": [self.schema(arg) for arg in args]}
        if origin is list:
            return {"type": "array", "items": self.schema(args[0])}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.schema(args[1])}
        raise TypeError(f"no JSON Schema for {hint!r}")

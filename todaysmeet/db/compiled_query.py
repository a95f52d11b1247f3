"""Hot reads whose SQL is built once per shape, then run again with new values.

Turning a queryset into SQL is the largest CPU cost of a request on the
benchmark VM (docs/performance.md, "Where a request's CPU goes"): building
and compiling the room-by-name read takes about 0.35 ms, running it and
building the room about 0.1 ms more. The reads every request makes (a
token's teacher or participant, the room by name, a page of messages) have
the same SQL every time; only their values change. A CompiledQuery builds
such a read once with a stand-in for each value, keeps the SQL, where each
value goes among its parameters and how rows become models (the ORM's own
converters and select_related populators), and afterwards only substitutes
the values and runs it.

What changes the SQL text is the read's *shape* (a flag that adds a filter,
the LIMIT of a slice): each shape is built once, and at most MAX_SHAPES are
kept. What only changes parameters is a *value*: a str or an int, compared
by equality (exact, gt, lt… lookups; a lookup that rewrites its value, such
as `contains`, is refused when the read is first built).

Only model reads (no values(), no prefetch_related, no extra select columns)
are supported; anything else is refused when first built, so a read that
can't be compiled fails its tests rather than answering wrongly.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators

M = TypeVar("M", bound=Model)

MAX_SHAPES = 256
# Stand-ins no real value takes: a NUL-prefixed string (no name, token hash
# or key here has one) and integers far below any id or seq.
_STRING_STAND_IN = "\x00compiled-query-value:{name}"
_INTEGER_STAND_IN_BASE = -(2**62)


@dataclass(frozen=True)
class _Slot:
    """Where a value goes among the SQL's parameters."""

    name: str


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Each parameter: a constant of the read, or the slot a value fills.
    parameters: tuple[object, ...]
    model: type[Model]
    model_columns: slice
    init_list: tuple[str, ...]
    # Column position → (converter functions, the expression), as the ORM applies them.
    converters: tuple[tuple[int, tuple[Callable, ...], Any], ...]
    related_populators: tuple[Any, ...]


class CompiledQuery(Generic[M]):
    """A read built by `build(*shape, **values)`, compiled once per shape and database.

        ROOM_BY_NAME = CompiledQuery(lambda *, name: Room.objects.filter(name=name).order_by("pk")[:1],
                                     values={"name": str})
        ROOM_BY_NAME.first(name="physics")

    `values` names each value the read takes and its type (str or int).
    """

    def __init__(self, build: Callable[..., QuerySet[M]], *, values: dict[str, type]) -> None:
        for name, kind in values.items():
            if kind not in (str, int):
                raise ImproperlyConfigured(f"CompiledQuery value {name!r}: only str and int values are supported")
        self.build = build
        self.value_types = dict(values)
        self._compiled: OrderedDict[Hashable, _Compiled] = OrderedDict()
        self._lock = threading.Lock()

    def all(self, *shape: Hashable, using: str = "default", **values: object) -> list[M]:
        """The read's rows as models, with `values` in it; `shape` as build() takes it."""
        if values.keys() != self.value_types.keys():
            raise TypeError(f"expected the values {sorted(self.value_types)}, got {sorted(values)}")
        connection = connections[using]
        compiled = self._compiled_for((using, connection.vendor, shape), shape, using)
        parameters = [values[item.name] if isinstance(item, _Slot) else item for item in compiled.parameters]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, parameters)
            rows = cursor.fetchall()
        return [self._model_from(compiled, row, using, connection) for row in rows]

    def first(self, *shape: Hashable, using: str = "default", **values: object) -> M | None:
        """The first row, or None; the read itself says which is first (order_by and a slice)."""
        rows = self.all(*shape, using=using, **values)
        return rows[0] if rows else None

    def _compiled_for(self, key: Hashable, shape: tuple, using: str) -> _Compiled:
        with self._lock:
            compiled = self._compiled.get(key)
            if compiled is not None:
                self._compiled.move_to_end(key)
                return compiled
        compiled = self._compile(shape, using)
        with self._lock:
            self._compiled[key] = compiled
            while len(self._compiled) > MAX_SHAPES:
                self._compiled.popitem(last=False)
        return compiled

    def _compile(self, shape: tuple, using: str) -> _Compiled:
        integers = itertools.count(_INTEGER_STAND_IN_BASE)
        stand_ins = {
            name: _STRING_STAND_IN.format(name=name) if kind is str else next(integers)
            for name, kind in self.value_types.items()
        }
        queryset = self.build(*shape, **stand_ins)
        if queryset._iterable_class is not ModelIterable or queryset._prefetch_related_lookups:
            raise ImproperlyConfigured("CompiledQuery reads models only: no values(), no prefetch_related()")
        if queryset._known_related_objects:
            raise ImproperlyConfigured("CompiledQuery can't read through a related manager")
        compiler = queryset.query.get_compiler(using=using)
        sql, parameters = compiler.as_sql()
        if compiler.has_extra_select:
            raise ImproperlyConfigured("CompiledQuery reads with extra select columns are not supported")
        slots_of = {(type(stand_in), stand_in): _Slot(name) for name, stand_in in stand_ins.items()}
        template = tuple(slots_of.get((type(parameter), parameter), parameter) for parameter in parameters)
        missing = set(stand_ins) - {item.name for item in template if isinstance(item, _Slot)}
        if missing:
            raise ImproperlyConfigured(
                f"CompiledQuery values {sorted(missing)} are not parameters of the SQL as given: "
                "use lookups that pass a value through unchanged (exact, gt, lt…)"
            )
        klass_info = compiler.klass_info
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        return _Compiled(
            sql=sql,
            parameters=template,
            model=klass_info["model"],
            model_columns=slice(start, end),
            init_list=tuple(column[0].target.attname for column in compiler.select[start:end]),
            converters=tuple(
                (position, tuple(functions), expression)
                for position, (functions, expression) in compiler.get_converters(fields).items()
            ),
            related_populators=tuple(get_related_populators(klass_info, compiler.select, using)),
        )

    @staticmethod
    def _model_from(compiled: _Compiled, row: tuple, using: str, connection: Any) -> M:
        if compiled.converters:
            row = list(row)
            for position, functions, expression in compiled.converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
        model = compiled.model.from_db(using, compiled.init_list, row[compiled.model_columns])
        for populator in compiled.related_populators:
            populator.populate(row, model)
        return model

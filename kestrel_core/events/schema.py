"""Schemas: where an event's category, time, tiebreaker and host live, and how to read them.

A :class:`Schema` turns a decoded record into an :class:`~kestrel_core.events.model.Event`. The
profiles of :mod:`kestrel_core.events.profiles` (``ecs``, ``endgame``, ``sysmon``) are schemas;
``--category-field`` and friends become :meth:`Schema.with_overrides`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from kestrel_core.events.fields import getter
from kestrel_core.events.model import Event
from kestrel_core.events.timestamps import TimestampError, get_parser

__all__ = ["CategoryMap", "FieldView", "MalformedEvent", "Schema", "field_getter"]

#: ``(raw category value, fields view) -> categories``: how a profile reads categories that are not
#: plain strings (Sysmon's numeric EventID).
CategoryMap = Callable[[Any, Mapping[str, Any]], tuple[str, ...]]
#: ``record -> fields view``: the mapping rules match against, when it is not the record itself.
FieldView = Callable[[dict[str, Any]], Mapping[str, Any]]
Getter = Callable[[Mapping[str, Any]], Any]


class MalformedEvent(ValueError):
    """A record cannot become an event: it is not a JSON object, or its timestamp is unreadable.

    A missing timestamp is not malformed (the event gets ``timestamp=None``).
    """


def _one_getter(path: str) -> Getter:
    if "." not in path:

        def get_top(fields: Mapping[str, Any]) -> Any:
            return fields.get(path)

        return get_top
    parts = tuple(path.split("."))
    if len(parts) == 2:
        return _two_getter(path, parts)
    return getter(parts)


def _two_getter(path: str, parts: tuple[str, ...]) -> Getter:
    """``a.b`` on plain dicts with two probes (the flat key ``"a.b"`` first, as
    :func:`~kestrel_core.events.fields.lookup` prefers it); anything else the general way."""
    outer, inner = parts
    general = getter(parts)

    def get_two(fields: Mapping[str, Any]) -> Any:
        if type(fields) is dict and path not in fields:
            node = fields.get(outer)
            if type(node) is dict:
                return node.get(inner)
            if node is None:
                return None
        return general(fields)

    return get_two


def field_getter(paths: tuple[str, ...]) -> Getter:
    """A function ``fields -> value`` reading the first of ``paths`` that is present (not None).

    Paths are dotted; a top-level name is read with a plain ``dict.get``, a dotted path with
    :func:`~kestrel_core.events.fields.lookup` (nested objects and flat dotted keys alike).
    """
    if not paths:
        return lambda fields: None
    if len(paths) == 1:
        return _one_getter(paths[0])
    getters = tuple(_one_getter(p) for p in paths)

    def get_first(fields: Mapping[str, Any]) -> Any:
        for get in getters:
            value = get(fields)
            if value is not None:
                return value
        return None

    return get_first


def _plain_categories(value: Any, fields: Mapping[str, Any]) -> tuple[str, ...]:
    """The default category reading: a string, or a list of them; other scalars as ``str``."""
    if type(value) is list:  # ECS: a list of strings
        out = tuple(value)
        for v in out:
            if type(v) is not str:
                return tuple(v if type(v) is str else str(v) for v in out if v is not None)
        return out
    if type(value) is str:
        return (value,)
    if value is None:
        return ()
    return (str(value),)


def _tuple_of_str(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@attrs.define(frozen=True)
class Schema:
    """Where an event's category, time, tiebreaker and host live, and how to read them.

    ``category_field``, ``timestamp_field`` and ``tiebreaker_field`` are dotted paths into the
    fields view; ``*_fallbacks`` are read in order when the main path is absent (Sysmon's flat
    ``EventId`` beside ``EventID``) and are dropped when :meth:`with_overrides` replaces the field.
    ``host_fields`` are tried in order by :meth:`host_key` (partitioning by host).
    ``timestamp_ms_field``, when set, is added to the fields view holding the event time in epoch
    milliseconds, unless the record has it (Endgame data is queried by ``@timestamp`` as well as
    its FILETIME ``timestamp``). ``view`` builds the fields view from a record (default: the record
    itself); ``category_map`` reads categories from the raw category value.
    """

    name: str
    category_field: str
    timestamp_field: str
    timestamp_format: str = "auto"
    tiebreaker_field: str | None = None
    host_fields: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    category_fallbacks: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    timestamp_fallbacks: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    timestamp_ms_field: str | None = None
    view: FieldView | None = attrs.field(default=None, eq=False)
    category_map: CategoryMap | None = attrs.field(default=None, eq=False)
    description: str = attrs.field(default="", eq=False)

    # Per-event readers, precomputed from the fields above.
    _parse_time: Callable[[Any], int] = attrs.field(init=False, repr=False, eq=False)
    _get_category: Getter = attrs.field(init=False, repr=False, eq=False)
    _get_time: Getter = attrs.field(init=False, repr=False, eq=False)
    _get_tiebreaker: Getter | None = attrs.field(init=False, repr=False, eq=False)
    _get_host: Getter = attrs.field(init=False, repr=False, eq=False)
    _categories: CategoryMap = attrs.field(init=False, repr=False, eq=False)
    #: :meth:`normalize` as a plain function ``(record, seq, origin) -> Event``, for loops that
    #: call it per record (the readers).
    normalizer: Callable[[Any, int, str | None], Event] = attrs.field(
        init=False, repr=False, eq=False
    )

    def __attrs_post_init__(self) -> None:
        setter = object.__setattr__  # the class is frozen
        setter(self, "_parse_time", get_parser(self.timestamp_format))
        setter(self, "_get_category", field_getter((self.category_field, *self.category_fallbacks)))
        setter(self, "_get_time", field_getter((self.timestamp_field, *self.timestamp_fallbacks)))
        setter(
            self,
            "_get_tiebreaker",
            field_getter((self.tiebreaker_field,)) if self.tiebreaker_field else None,
        )
        setter(self, "_get_host", field_getter(self.host_fields))
        setter(self, "_categories", self.category_map or _plain_categories)
        setter(self, "normalizer", self._build_normalizer())

    def normalize(self, record: Any, seq: int = 0, origin: str | None = None) -> Event:
        """Build the :class:`~kestrel_core.events.model.Event` of a decoded record.

        ``seq`` is the arrival index (the last sort key), ``origin`` where the record came from
        (``events.json:17``), kept for messages. Raises :class:`MalformedEvent` when ``record`` is
        not a JSON object or its timestamp cannot be read in :attr:`timestamp_format`.
        """
        return self.normalizer(record, seq, origin)

    def _build_normalizer(self) -> Callable[[Any, int, str | None], Event]:
        """The body of :meth:`normalize`, with every reader bound once (it runs per event)."""
        view = self.view
        get_time = self._get_time
        parse_time = self._parse_time
        ms_field = self.timestamp_ms_field
        get_category = self._get_category
        categories = self._categories
        get_tb = self._get_tiebreaker
        time_field = self.timestamp_field

        def normalize(record: Any, seq: int = 0, origin: str | None = None) -> Event:
            if type(record) is not dict:
                where = f" at {origin}" if origin else ""
                kind = type(record).__name__
                raise MalformedEvent(f"record{where} is not a JSON object: {kind}")
            fields = record if view is None else view(record)
            raw_time = get_time(fields)
            timestamp = None
            if raw_time is not None:
                try:
                    timestamp = parse_time(raw_time)
                except TimestampError as exc:
                    where = f" at {origin}" if origin else ""
                    raise MalformedEvent(f"record{where}: field {time_field!r}: {exc}") from None
                if ms_field is not None and ms_field not in fields:
                    # A shallow copy: the original record stays the evidence, untouched.
                    fields = dict(fields)
                    fields[ms_field] = timestamp // 1_000_000
            return Event(
                categories(get_category(fields), fields),
                timestamp,
                None if get_tb is None else get_tb(fields),
                fields,
                record,
                seq,
                origin,
            )

        return normalize

    def host_key(self, event: Event) -> str | None:
        """The partition key of ``event``: the first of :attr:`host_fields` present, as text.

        ``None`` when the event has none of them (the engine then partitions it as it chooses).
        A list value (ECS allows arrays everywhere) yields its first element.
        """
        return self._host_of(event.fields)

    def record_host(self, record: Any) -> str | None:
        """:meth:`host_key` of a decoded record, without building its event."""
        if type(record) is not dict:
            return None
        return self._host_of(record if self.view is None else self.view(record))

    def _host_of(self, fields: Mapping[str, Any]) -> str | None:
        value = self._get_host(fields)
        if isinstance(value, list):
            value = next((v for v in value if v is not None), None)
        if value is None or value == "":
            return None
        return value if type(value) is str else str(value)

    def with_overrides(
        self,
        category_field: str | None = None,
        timestamp_field: str | None = None,
        timestamp_format: str | None = None,
        tiebreaker_field: str | None = None,
        host_fields: tuple[str, ...] | None = None,
    ) -> Schema:
        """A copy with the given fields replaced; ``None`` keeps the profile's value.

        Overriding a field drops that field's profile fallbacks (the user said where it is), and
        overriding the category field drops the profile's ``category_map`` (its values are read
        as plain strings). ``None`` cannot remove a tiebreaker: build a Schema for that.
        Raises :class:`ValueError` for an unknown ``timestamp_format``.
        """
        changes: dict[str, Any] = {}
        if category_field is not None:
            changes.update(category_field=category_field, category_fallbacks=(), category_map=None)
        if timestamp_field is not None:
            changes.update(timestamp_field=timestamp_field, timestamp_fallbacks=())
        if timestamp_format is not None:
            changes["timestamp_format"] = timestamp_format
        if tiebreaker_field is not None:
            changes["tiebreaker_field"] = tiebreaker_field
        if host_fields is not None:
            changes["host_fields"] = host_fields
        return attrs.evolve(self, **changes) if changes else self

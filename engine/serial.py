"""The one way records cross a process or a file: msgspec ``Struct``s, written and read by
msgspec's JSON codec and checked against their annotations as they are read; what an annotation
cannot say (a column as long as its batch, a count in range) a record checks in its
``__post_init__``, which reading runs too. Events and results files, the worker protocol, the
scale pool messages, request reports, plans and scale specs all go through here, so a damaged
line anywhere is refused the same way: a ``SerialError`` naming the field and what it should
have been.
"""

from __future__ import annotations

from typing import Any, TypeVar, Union

import msgspec

T = TypeVar("T")


class Record(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Plain data that crosses a process or a file: frozen, and read back only whole (a field
    missing, of the wrong type or unknown is refused)."""


field = msgspec.field
"""A record field with a default made per record (``field(default_factory=list)``)."""


class SerialError(ValueError):
    """Bytes or data that are not the record asked for; the message says where and why."""


class NotJson(SerialError):
    """Bytes that are not JSON at all (cut off, or not written by a JSON writer)."""


_ENCODER = msgspec.json.Encoder()
_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def encode(value: Any) -> bytes:
    """One line of JSON (no newline, no whitespace) for a record or plain data."""
    return _ENCODER.encode(value)


def decode(data: Union[bytes, str], kind: Any) -> Any:
    """The record of type ``kind`` (or a Union of tagged records) in ``data``; SerialError
    when it is not one."""
    decoder = _DECODERS.get(kind)
    if decoder is None:
        decoder = _DECODERS[kind] = msgspec.json.Decoder(kind)
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise SerialError(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise NotJson(str(exc)) from None


def parse(data: Union[bytes, str]) -> Any:
    """Any JSON, as plain data (dicts, lists, numbers, strings); SerialError if not JSON."""
    return decode(data, Any)


def convert(data: Any, kind: type[T]) -> T:
    """The record of type ``kind`` from plain data (a decoded JSON object), checked as
    ``decode`` checks bytes."""
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        raise SerialError(str(exc)) from None


def to_builtins(value: Any) -> Any:
    """A record as plain data (dicts, lists, ...), tag included: what ``encode`` writes."""
    return msgspec.to_builtins(value)


def pretty(value: Any) -> str:
    """Indented JSON for people (``--json`` outputs)."""
    return msgspec.json.format(encode(value), indent=2).decode()


def replace(record: T, **changes: Any) -> T:
    """A copy of a frozen record with some fields changed."""
    return msgspec.structs.replace(record, **changes)


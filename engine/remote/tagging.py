"""Events of a run on several hosts, in one stream: each JSON line carries ``"machine"``.

Results files stay one per host and untagged (each is an ordinary results file); only the
merged stream of ``faasbench run --host ... --json`` tags its lines, so the dashboard can group
cells by host. ``events.from_dict`` ignores the tag, so untagged readers still work.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from ..events import Event, from_dict

TAG = "machine"


def tagged_json(host: str, event: Event) -> str:
    return json.dumps({**event.to_dict(), TAG: host}, separators=(",", ":"), default=str)


def untag(row: dict[str, Any]) -> tuple[Optional[str], Event]:
    """The host a line came from (None for a single-host stream) and its event."""
    return row.get(TAG), from_dict(row)

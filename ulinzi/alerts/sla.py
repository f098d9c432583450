"""How long each step may take before the duty board turns amber, then red
(no Django import). Minutes from the previous step; a mission can tune them."""

from __future__ import annotations

from datetime import datetime

# status -> (the time it counts from, minutes allowed for the next step)
DEADLINES: dict[str, tuple[str, int]] = {
    "received": ("received_at", 15),
    "acknowledged": ("acknowledged_at", 60),
    "verified": ("verified_at", 30),
    "unverified": ("verified_at", 30),
    "responders_notified": ("notified_at", 60),
    "dispatched": ("dispatched_at", 120),
}
AMBER_SHARE = 2 / 3


def timer(status: str, stamps: dict[str, datetime | None], now: datetime) -> tuple[int, str]:
    """Minutes since the last step, and ``ok``/``amber``/``red`` (``done`` when no
    deadline applies: on site, false alarm, closed)."""
    if status not in DEADLINES:
        return 0, "done"
    field, allowed = DEADLINES[status]
    since = stamps.get(field) or stamps.get("received_at")
    minutes = int((now - since).total_seconds() // 60) if since else 0
    if minutes >= allowed:
        return minutes, "red"
    if minutes >= allowed * AMBER_SHARE:
        return minutes, "amber"
    return minutes, "ok"

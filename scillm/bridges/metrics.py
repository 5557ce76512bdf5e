"""Prometheus text exposition for a bridge, written by hand (no extra dependency).

Counters for requests, items and proved items, a latency histogram for
item checks and for whole requests, and gauges for pool occupancy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

_LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
_SUCCESS = {"proved", "ok"}


@dataclass
class Histogram:
    """Cumulative-bucket histogram in seconds."""

    buckets: tuple[float, ...] = _LATENCY_BUCKETS_S
    counts: list[int] = field(default_factory=lambda: [0] * len(_LATENCY_BUCKETS_S))
    total: int = 0
    sum_s: float = 0.0

    def observe(self, seconds: float) -> None:
        self.total += 1
        self.sum_s += seconds
        for i, bound in enumerate(self.buckets):
            if seconds <= bound:
                self.counts[i] += 1

    def render(self, name: str, labels: str = "") -> list[str]:
        sep = "," if labels else ""
        lines = [f'{name}_bucket{{{labels}{sep}le="{bound:g}"}} {count}' for bound, count in zip(self.buckets, self.counts, strict=True)]
        lines.append(f'{name}_bucket{{{labels}{sep}le="+Inf"}} {self.total}')
        suffix = f"{{{labels}}}" if labels else ""
        lines.append(f"{name}_sum{suffix} {self.sum_s:.6f}")
        lines.append(f"{name}_count{suffix} {self.total}")
        return lines


def _item_seconds(result: object) -> float | None:
    """The check time an engine reported for one item, when it reports one."""
    if not isinstance(result, dict):
        return None
    for key in ("time_ms", "elapsed_ms", "check_ms"):
        value = result.get(key)
        if isinstance(value, int | float) and value >= 0:
            return float(value) / 1000.0
    return None


class BridgeMetrics:
    """Counters one bridge keeps; `render()` is the body of GET /metrics."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.requests: dict[tuple[str, int], int] = {}
        self.items = 0
        self.item_status: dict[str, int] = {}
        self.proved = 0
        self.check_latency = Histogram()
        self.request_latency = Histogram()
        self.gauges: dict[str, Callable[[], float]] = {}
        self.seconds_by_code: dict[int, list[float]] = {}

    def record_request(self, route: str, status_code: int, seconds: float) -> None:
        key = (route, status_code)
        self.requests[key] = self.requests.get(key, 0) + 1
        self.request_latency.observe(seconds)
        spent = self.seconds_by_code.setdefault(status_code, [0.0, 0.0])
        spent[0] += seconds
        spent[1] += 1

    def record_result(self, result: object) -> None:
        self.items += 1
        status = str(result.get("status", "unknown")) if isinstance(result, dict) else "unknown"
        self.item_status[status] = self.item_status.get(status, 0) + 1
        if status in _SUCCESS:
            self.proved += 1
        seconds = _item_seconds(result)
        if seconds is not None:
            self.check_latency.observe(seconds)

    def render(self) -> str:
        e = f'engine="{self.engine}"'
        out = ["# HELP scillm_bridge_requests_total HTTP requests answered, by route and status code.",
               "# TYPE scillm_bridge_requests_total counter"]
        for (route, code), n in sorted(self.requests.items()):
            out.append(f'scillm_bridge_requests_total{{{e},route="{route}",code="{code}"}} {n}')
        out += ["# HELP scillm_bridge_items_total Items that produced a result.",
                "# TYPE scillm_bridge_items_total counter", f"scillm_bridge_items_total{{{e}}} {self.items}",
                "# HELP scillm_bridge_item_results_total Item results by status.",
                "# TYPE scillm_bridge_item_results_total counter"]
        for status, n in sorted(self.item_status.items()):
            out.append(f'scillm_bridge_item_results_total{{{e},status="{status}"}} {n}')
        out += ["# HELP scillm_bridge_proved_total Items proved (certainly) or evaluated ok (codeworld).",
                "# TYPE scillm_bridge_proved_total counter", f"scillm_bridge_proved_total{{{e}}} {self.proved}",
                "# HELP scillm_bridge_check_seconds Per-item check time reported by the engine.",
                "# TYPE scillm_bridge_check_seconds histogram"]
        out += self.check_latency.render("scillm_bridge_check_seconds", e)
        out += ["# HELP scillm_bridge_request_seconds Wall time of answered work requests.",
                "# TYPE scillm_bridge_request_seconds histogram"]
        out += self.request_latency.render("scillm_bridge_request_seconds", e)
        out += ["# HELP scillm_bridge_answer_seconds Server time of answered requests, by status code.",
                "# TYPE scillm_bridge_answer_seconds summary"]
        for code, (total, count) in sorted(self.seconds_by_code.items()):
            out += [f'scillm_bridge_answer_seconds_sum{{{e},code="{code}"}} {total:.6f}',
                    f'scillm_bridge_answer_seconds_count{{{e},code="{code}"}} {count:g}']
        for name, read in sorted(self.gauges.items()):
            out += [f"# TYPE scillm_bridge_{name} gauge", f"scillm_bridge_{name}{{{e}}} {read():g}"]
        return "\n".join(out) + "\n"


__all__ = ["BridgeMetrics", "Histogram"]

"""Evaluation charts as PNG bytes: reach per commune, plays over time, device uptime, citizens' ratings."""

from __future__ import annotations

import io

CHART_TITLES = {
    "reach_by_commune": "Tỷ lệ phát theo xã / Reach per commune",
    "plays_over_time": "Lượt phát theo ngày / Plays over time",
    "device_uptime": "Thời gian hoạt động thiết bị / Device uptime",
    "ratings": "Đánh giá của người dân / Citizens' ratings",
}


def _figure(width: float = 8.0, height: float = 4.0):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(fig) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _empty(ax, message: str = "Chưa có số liệu / No data") -> None:  # type: ignore[no-untyped-def]
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def reach_by_commune(units: list[dict]) -> bytes:
    """Bars: share of scheduled items played, per commune (the widest level below the province)."""
    fig = _figure()
    ax = fig.subplots()
    rows = [u for u in units if u.get("level") == "commune"] or [
        u for u in units if u.get("level") == "village"
    ]
    rows = sorted(rows, key=lambda u: u["reach_rate"])[:40]
    if not rows:
        _empty(ax)
    else:
        ax.barh([u["unit_name"] for u in rows], [u["reach_rate"] * 100 for u in rows], color="#2b7a78")
        ax.barh(
            [u["unit_name"] for u in rows],
            [u["played_on_time"] / max(u["targeted"], 1) * 100 for u in rows],
            color="#def2f1",
            height=0.35,
            label="Đúng giờ / On time",
        )
        ax.set_xlabel("% lượt đã phát / % of scheduled plays")
        ax.set_xlim(0, 100)
        ax.legend(loc="lower right")
    ax.set_title(CHART_TITLES["reach_by_commune"])
    return _png(fig)


def plays_over_time(days: list[dict]) -> bytes:
    """Lines: scheduled and played items per day."""
    from datetime import date, timedelta

    fig = _figure()
    ax = fig.subplots()
    if not days:
        _empty(ax)
    else:
        x = [date.fromisoformat(d["day"]) if isinstance(d["day"], str) else d["day"] for d in days]
        marker = "o" if len(x) < 40 else None  # single days stay visible
        ax.plot(
            x, [d["targeted"] for d in days], label="Lên lịch / Scheduled", color="#999999", marker=marker
        )
        ax.plot(x, [d["played"] for d in days], label="Đã phát / Played", color="#2b7a78", marker=marker)
        ax.plot(
            x, [d["played_on_time"] for d in days], label="Đúng giờ / On time", color="#f4a259", marker=marker
        )
        ax.set_xlim(x[0] - timedelta(days=1), x[-1] + timedelta(days=1))
        ax.set_ylim(bottom=0)
        ax.legend()
        fig.autofmt_xdate()
    ax.set_title(CHART_TITLES["plays_over_time"])
    return _png(fig)


def device_uptime(devices: list[dict]) -> bytes:
    """Histogram of device uptime shares, FM-fallback time stacked."""
    fig = _figure()
    ax = fig.subplots()
    if not devices:
        _empty(ax)
    else:
        ax.hist([d["uptime"] * 100 for d in devices], bins=20, range=(0, 100), color="#3d5a80")
        ax.set_xlabel("% thời gian có tín hiệu / % of time reporting")
        ax.set_ylabel("Số thiết bị / Devices")
    ax.set_title(CHART_TITLES["device_uptime"])
    return _png(fig)


def ratings(feedback: list[dict]) -> bytes:
    """Bars: average rating and count per category, across the whole scope."""
    fig = _figure()
    ax = fig.subplots()
    top = min((f["level"] for f in feedback), key=_level_rank, default=None)
    rows = [f for f in feedback if f["level"] == top and f["average_rating"] is not None]
    if not rows:
        _empty(ax)
    else:
        bars = ax.bar([f["category"] for f in rows], [f["average_rating"] for f in rows], color="#ee6c4d")
        ax.bar_label(bars, labels=[f"{f['ratings']} lượt" for f in rows])
        ax.set_ylim(0, 5.5)
        ax.set_ylabel("Điểm trung bình (1–5) / Average rating")
    ax.set_title(CHART_TITLES["ratings"])
    return _png(fig)


def _level_rank(level: str) -> int:
    return ["country", "province", "district", "commune", "village"].index(level)


def evaluation_charts(tables: dict[str, list[dict]]) -> dict[str, bytes]:
    """Every chart of an evaluation, by name."""
    return {
        "reach_by_commune": reach_by_commune(tables.get("units", [])),
        "plays_over_time": plays_over_time(tables.get("days", [])),
        "device_uptime": device_uptime(tables.get("uptime", [])),
        "ratings": ratings(tables.get("feedback", [])),
    }

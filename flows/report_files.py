"""Evaluation reports as files officials use: Markdown summary, HTML in Vietnamese with charts, XLSX."""

from __future__ import annotations

import base64
import html
import io

from flows.charts import CHART_TITLES

TABLE_TITLES = {
    "headline": "Chỉ tiêu chính / Headline",
    "bulletins": "Theo bản tin / By bulletin",
    "languages": "Theo ngôn ngữ / By language",
    "units": "Theo đơn vị / By unit",
    "units_languages": "Đơn vị và ngôn ngữ / Unit and language",
    "days": "Theo ngày / By day",
    "detail": "Chi tiết / Detail",
    "targets": "Đơn vị nhận / Targeted units",
    "uptime": "Thiết bị / Devices",
    "uptime_units": "Hoạt động theo đơn vị / Uptime by unit",
    "feedback": "Ý kiến người dân / Citizen feedback",
}
SHEET_NAMES = {
    "headline": "Tong hop",
    "bulletins": "Ban tin",
    "languages": "Ngon ngu",
    "units": "Don vi",
    "units_languages": "Don vi - ngon ngu",
    "days": "Theo ngay",
    "detail": "Chi tiet",
    "targets": "Don vi nhan",
    "uptime": "Thiet bi",
    "uptime_units": "Hoat dong don vi",
    "feedback": "Y kien",
}
COLUMNS = {
    "bulletin_id": "Mã bản tin / Bulletin",
    "title": "Tiêu đề / Title",
    "category": "Lĩnh vực / Category",
    "priority": "Mức ưu tiên / Priority",
    "language": "Ngôn ngữ / Language",
    "unit_code": "Mã đơn vị / Unit code",
    "unit_name": "Đơn vị / Unit",
    "level": "Cấp / Level",
    "parent_code": "Đơn vị cấp trên / Parent",
    "day": "Ngày / Day",
    "targeted": "Lượt lên lịch / Scheduled",
    "delivered": "Đã nhận / Delivered",
    "played": "Đã phát / Played",
    "played_full": "Phát trọn / In full",
    "played_on_time": "Đúng giờ / On time",
    "failed": "Lỗi / Failed",
    "completion": "Mức nghe hết / Completion",
    "reach_rate": "Tỷ lệ phát / Reach",
    "first_play_delay_s": "Từ duyệt đến phát (giây) / Approval to first play (s)",
    "devices": "Thiết bị / Devices",
    "reached": "Đã đến / Reached",
    "device_id": "Thiết bị / Device",
    "kind": "Loại / Kind",
    "slots_up": "Số khung 5 phút hoạt động / 5-min slots up",
    "slots_fm": "Khung dùng FM / Slots on FM",
    "uptime": "Tỷ lệ hoạt động / Uptime",
    "fm_share": "Tỷ lệ FM / FM share",
    "fm_hours": "Giờ dùng FM / Hours on FM",
    "feedback": "Số ý kiến / Feedback",
    "average_rating": "Điểm TB / Average rating",
    "ratings": "Lượt chấm / Ratings",
    "comments": "Bình luận / Comments",
    "essential": "Bản tin thiết yếu / Essential bulletins",
    "reached_all": "Đến mọi đơn vị / Reached every unit",
    "share": "Tỷ lệ / Share",
    "missed": "Chưa đến đủ / Missed",
}
_RATES = {"completion", "reach_rate", "uptime", "fm_share", "share"}


def cell_text(name: str, value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "có / yes" if value else "không / no"
    if name in _RATES and isinstance(value, float):
        return f"{value:.1%}".replace(".", ",")
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", " ").replace(".", ",")
    return str(value)


def table_columns(rows: list[dict]) -> list[str]:
    return [k for k in rows[0] if not isinstance(rows[0][k], list | dict)] if rows else []


def summary_markdown(
    tables: dict[str, list[dict]], *, title: str, period_label: str, chart_links: dict[str, str]
) -> str:
    """The Prefect artifact: headline, totals, per-bulletin table, links to charts and files."""
    head = tables["headline"][0]
    out = [
        f"# {title}",
        "",
        f"Kỳ báo cáo / Period: **{period_label}**",
        "",
        f"**Bản tin thiết yếu đến mọi đơn vị / Essential bulletins that reached every unit: "
        f"{head['reached_all']}/{head['essential']} ({head['share']:.0%})**",
        "",
    ]
    for key in ("bulletins", "languages"):
        rows = tables.get(key, [])
        out += [f"## {TABLE_TITLES[key]}", ""]
        out += _markdown_table(rows) if rows else ["Chưa có số liệu / No data", ""]
    if chart_links:
        out += ["## Biểu đồ / Charts", ""]
        out += [f"- [{CHART_TITLES.get(name, name)}]({link})" for name, link in chart_links.items()]
        out.append("")
    return "\n".join(out)


def _markdown_table(rows: list[dict]) -> list[str]:
    columns = table_columns(rows)
    lines = ["| " + " | ".join(COLUMNS.get(c, c) for c in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        values = [cell_text(c, row[c]).replace("|", "\\|").replace("\n", " ") for c in columns]
        lines.append("| " + " | ".join(values) + " |")
    return [*lines, ""]


_CSS = """body{font-family:'Noto Sans','DejaVu Sans',sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:0 0 2rem;font-size:.9rem}th,td{border:1px solid #ccc;padding:.25rem .5rem}
th{background:#eef5f5;text-align:left}td.n{text-align:right}img{max-width:100%;height:auto;display:block}
.headline{font-size:1.3rem;background:#def2f1;padding:1rem;border-radius:.5rem}"""


def report_html(
    tables: dict[str, list[dict]],
    *,
    title: str,
    period_label: str,
    unit_label: str,
    charts: dict[str, bytes],
    sections: tuple[str, ...] = ("bulletins", "languages", "units", "targets", "uptime_units", "feedback"),
) -> str:
    """A self-contained HTML report in Vietnamese (English beside it); charts embedded as PNG."""
    esc = html.escape
    head = tables["headline"][0]
    parts = [
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p>Đơn vị / Unit: <strong>{esc(unit_label)}</strong> · Kỳ báo cáo / Period: "
        f"<strong>{esc(period_label)}</strong></p>",
        f"<p class='headline'>Bản tin ưu tiên và khẩn cấp đến mọi đơn vị nhận / Priority and emergency bulletins "
        f"that reached every targeted unit: <strong>{head['reached_all']}/{head['essential']} "
        f"({head['share']:.0%})</strong></p>",
    ]
    for name, png in charts.items():
        data = base64.b64encode(png).decode()
        label = esc(CHART_TITLES.get(name, name))
        parts.append(
            f"<figure><img alt='{label}' src='data:image/png;base64,{data}'><figcaption>{label}</figcaption></figure>"
        )
    for key in sections:
        rows = tables.get(key, [])
        parts.append(f"<h2>{esc(TABLE_TITLES[key])}</h2>")
        if not rows:
            parts.append("<p>Chưa có số liệu / No data</p>")
            continue
        columns = table_columns(rows)
        parts.append("<table><thead><tr>" + "".join(f"<th>{esc(COLUMNS.get(c, c))}</th>" for c in columns))
        parts.append("</tr></thead><tbody>")
        for row in rows:
            cells = "".join(
                f"<td class='{'n' if isinstance(row[c], int | float) else ''}'>{esc(cell_text(c, row[c]))}</td>"
                for c in columns
            )
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def report_xlsx(tables: dict[str, list[dict]], *, title: str, period_label: str) -> bytes:
    """A workbook with one sheet per table, Vietnamese / English headers in the first row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for key, rows in tables.items():
        sheet = book.create_sheet(SHEET_NAMES.get(key, key)[:31])
        columns = table_columns(rows)
        if not columns:
            sheet.append([f"{title} — {period_label}: chưa có số liệu / no data"])
            continue
        sheet.append([COLUMNS.get(c, c) for c in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_xlsx_value(row[c]) for c in columns])
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a title is text, never a formula
    return value

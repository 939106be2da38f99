"""``bantin normalize`` as an editor runs it: argument, stdin line by line, extra abbreviations."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bantin.cli import app

runner = CliRunner()


def test_stdin_gives_one_spoken_line_per_input_line() -> None:
    lines = [
        "UBND xã thông báo",
        "",
        "Họp lúc 14h30 ngày 3/9",
        "<p>Giá 7.500 đồng/kg</p><p>tăng 5%</p>",
        "gọi 113",
    ]
    result = runner.invoke(app, ["normalize"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = result.output.split("\n")[:-1]
    assert len(out) == len(lines)
    assert out == [
        "Ủy ban nhân dân xã thông báo",
        "",
        "Họp lúc mười bốn giờ ba mươi phút ngày ba tháng chín",
        "Giá bảy nghìn năm trăm đồng một ki lô gam tăng năm phần trăm",
        "gọi một một ba",
    ]


def test_argument_is_printed_in_spoken_form() -> None:
    result = runner.invoke(app, ["normalize", "Quyết định số 135/QĐ-TTg"])
    assert result.exit_code == 0
    assert result.output == "Quyết định số một trăm ba mươi lăm của thủ tướng chính phủ\n"


def test_abbreviations_file_extends_the_table(tmp_path: Path) -> None:
    table = tmp_path / "soc-trang.tsv"
    table.write_text("# viết tắt riêng của tỉnh\nHTXNN\thợp tác xã nông nghiệp\n", encoding="utf-8")
    result = runner.invoke(app, ["normalize", "--abbreviations", str(table)], input="HTXNN Mỹ Xuyên\n")
    assert result.exit_code == 0
    assert result.output == "Hợp tác xã nông nghiệp Mỹ Xuyên\n"


def test_missing_abbreviations_file_is_a_bilingual_error_with_exit_code_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["normalize", "--abbreviations", str(tmp_path / "none.tsv"), "UBND"])
    assert result.exit_code == 2
    assert "Lỗi:" in result.output and "Error:" in result.output
    assert "Traceback" not in result.output


def test_abbreviations_file_without_any_tab_separated_line_is_rejected(tmp_path: Path) -> None:
    table = tmp_path / "bad.tsv"
    table.write_text("HTXNN hợp tác xã nông nghiệp\n", encoding="utf-8")
    result = runner.invoke(app, ["normalize", "--abbreviations", str(table), "HTXNN"])
    assert result.exit_code == 2
    assert "abbreviation<TAB>spoken form" in result.output

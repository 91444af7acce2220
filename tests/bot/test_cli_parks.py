"""`cisip-bot parks import|export`: all rows or none, line numbers and reasons, one-line errors."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from bot.config import normalise_database_url
from bot.db.database import Database
from bot.db.migrate import upgrade
from bot.services.parks import SEED_CSV
from tests.bot.cli_harness import run

pytestmark = pytest.mark.usefixtures("clean_environment")

HEADER = "slug,name,local_name,aliases,country,city,region,established,focus,website,description,source"
NEW_PARKS = (
    "good,Good Park,,,KE,Nairobi,Africa,2010,ICT,https://good.example,Fine.,https://s.example",
    "better,Better Park,,,KE,Mombasa,Africa,2012,ICT,https://better.example,Fine.,https://s.example",
)


def exported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> list[dict[str, str]]:
    target = tmp_path / "out.csv"
    code, out, _err = run(capsys, "parks", "export", str(target))
    assert code == 0, out
    return list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))


def test_db_upgrade_seeds_the_shipped_parks_and_an_import_replaces_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "db", "upgrade")
    rows = exported(capsys, tmp_path)
    assert len(rows) == 166
    zgc = next(r for r in rows if r["slug"] == "zhongguancun")
    assert zgc["local_name"] == "中关村科技园区" and zgc["aliases"] == "ZGC;Zhongguancun;Z-Park"
    code, out, err = run(capsys, "parks", "import", str(SEED_CSV))
    assert code == 0, err
    assert out.strip().endswith("0 added, 166 replaced")
    assert exported(capsys, tmp_path) == rows


def test_export_seeds_a_database_never_seeded(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A schema brought up to date without `db upgrade` (an older release, Alembic by hand)."""
    database = Database(normalise_database_url(None, tmp_path / "data"))

    async def upgrade_only() -> None:
        try:
            await upgrade(database)
        finally:
            await database.dispose()

    asyncio.run(upgrade_only())
    code, out, err = run(capsys, "parks", "export", str(tmp_path / "out.csv"))
    assert (code, err) == (0, "")
    assert out == f"exported 166 parks to {tmp_path / 'out.csv'}\n"


def test_a_bad_file_reports_every_line_and_imports_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "db", "upgrade")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\n".join(
            [
                HEADER,
                "good,Good Park,,,KE,Nairobi,Africa,2010,ICT,https://good.example,Fine.,https://s.example",
                "worse,Worse Park,,,QQ,Nowhere,Africa,1700,,,,",
                ",,,,KE,Nairobi,Africa,,,,,",
            ]
        ),
        encoding="utf-8",
    )
    before = exported(capsys, tmp_path)
    code, _out, err = run(capsys, "parks", "import", str(bad))
    assert code == 2
    lines = err.strip().splitlines()
    assert any(line.startswith(f"{bad}:3: Unknown country 'QQ'") for line in lines)
    assert any(line.startswith(f"{bad}:3: established '1700'") for line in lines)
    assert any(line.startswith(f"{bad}:4: The park name cannot be empty.") for line in lines)
    assert lines[-1] == f"cisip-bot: {bad}: 2 invalid rows; nothing was imported"
    assert "Traceback" not in err
    assert exported(capsys, tmp_path) == before


def test_an_import_cleans_text_and_refuses_invisible_names_and_oversized_cells(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The same rules as a staff form: a name of zero-width spaces only, a 6,000-character city;
    NUL and direction overrides never stored."""
    run(capsys, "db", "upgrade")
    rows = [
        ["hidden", "\u200b\u200b\u3164", "", "", "KE", "Nairobi", "Africa", "", "", "", "", ""],
        ["huge", "Huge Park", "", "", "KE", "x" * 6000, "Africa", "", "", "", "", ""],
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([HEADER.split(","), *rows])
    bad = tmp_path / "hostile.csv"
    bad.write_text(out.getvalue(), encoding="utf-8")
    before = exported(capsys, tmp_path)
    code, _out, err = run(capsys, "parks", "import", str(bad))
    assert code == 2
    lines = err.strip().splitlines()
    assert f"{bad}:2: The park name cannot be empty." in lines
    assert f"{bad}:3: The city can be at most 100 characters long, not 6,000." in lines
    assert exported(capsys, tmp_path) == before

    dirty = [["nul-park", "Nul\x00 Park\u202e", "", "A\u200b;\u200b;B", "cn", " Beijing\x00 ", "East Asia"]]
    dirty[0] += ["1999", "ict", "https://nul.example", "One\x00 line.\r\nTwo.", ""]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([HEADER.split(","), *dirty])
    good = tmp_path / "dirty.csv"
    good.write_text(out.getvalue(), encoding="utf-8")
    code, _out, err = run(capsys, "parks", "import", str(good))
    assert code == 0, err
    (row,) = [r for r in exported(capsys, tmp_path) if r["slug"] not in {b["slug"] for b in before}]
    assert (row["name"], row["city"], row["country"], row["aliases"], row["focus"]) == (
        "Nul Park",
        "Beijing",
        "CN",
        "A;B",
        "ICT",
    )
    assert row["description"] == "One line.\nTwo."


def test_dry_run_checks_without_writing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, "db", "upgrade")
    code, out, _ = run(capsys, "parks", "import", "--dry-run", str(SEED_CSV))
    assert code == 0
    assert "166 parks are valid (dry run: nothing was written)" in out
    new = tmp_path / "new.csv"
    new.write_text("\n".join([HEADER, *NEW_PARKS]) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "parks", "import", "--dry-run", str(new))
    assert (code, out.strip()) == (0, f"{new}: 2 parks are valid (dry run: nothing was written)")
    slugs = {row["slug"] for row in exported(capsys, tmp_path)}
    assert len(slugs) == 166 and not slugs & {"good", "better"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", ":1: the file is empty"),
        ("name,country\nX,CN\n", ":1: missing columns: slug"),
        (HEADER + '\n"unterminated,x', "malformed CSV"),
        (HEADER + "\na,b,c\n", ":2: 3 fields, expected 12"),
    ],
)
def test_malformed_files_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, expected: str
) -> None:
    run(capsys, "db", "upgrade")
    path = tmp_path / "file.csv"
    path.write_text(content, encoding="utf-8")
    code, _out, err = run(capsys, "parks", "import", str(path))
    assert code == 2
    assert expected in err
    assert err.strip().splitlines()[-1].endswith("nothing was imported")


def test_missing_file_and_old_schema_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _out, err = run(capsys, "parks", "import", "nope.csv")
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err
    code, _out, err = run(capsys, "parks", "export", str(tmp_path / "x.csv"))
    assert code == 1 and err.count("\n") == 1
    assert "run `cisip-bot db upgrade`" in err

"""`pip install .` (not editable) carries its data: the wheel holds the web pages' templates and
stylesheet, and installed into a fresh virtualenv outside the checkout it upgrades an empty
database and exports the 166 shipped parks."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from bot.db.migrate import head_revision

ROOT = Path(__file__).resolve().parents[2]
# Caches, virtualenvs and setuptools' leftovers: a stale build/lib would ship files the tree no longer has.
NOT_SOURCE = shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__", "data")


def sh(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_a_wheel_installed_outside_the_checkout_seeds_and_exports_the_shipped_parks(tmp_path: Path) -> None:
    source, wheels, venv, work = (tmp_path / name for name in ("source", "wheels", "venv", "work"))
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    sh(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        wheels,
        source,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("cisip_bot-*.whl")
    # The web pages' templates, stylesheet and catalog are package data too.
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"bot/web/templates/{p.name}" for p in (ROOT / "bot" / "web" / "templates").glob("*.html")}
    assert templates and templates <= names
    assert "bot/web/static/style.css" in names
    assert "bot/locales/zh-CN/web.json" in names
    sh(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    sh(venv / "bin" / "pip", "install", "--no-deps", "--no-index", "-q", wheel, cwd=tmp_path)

    work.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        # The dependencies of the running environment (offline); `bot` itself is not among them.
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
        "DATA_DIR": str(tmp_path / "data"),
        "DISCORD_TOKEN": "dummy.token.for-the-cli",
    }
    python = venv / "bin" / "python"
    where = sh(python, "-c", "import bot; print(bot.__file__)", cwd=work, env=env).strip()
    assert Path(where).is_relative_to(venv), where

    out = sh(python, "-m", "bot", "db", "upgrade", cwd=work, env=env)
    assert out == f"upgraded from an empty database to {head_revision()}\n"
    target = work / "OUT.csv"
    out = sh(python, "-m", "bot", "parks", "export", target.name, cwd=work, env=env)
    assert out == "exported 166 parks to OUT.csv\n"
    with target.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 166
    assert next(r for r in rows if r["slug"] == "zhongguancun")["local_name"] == "中关村科技园区"

"""`pip install .` ships the templates and the stylesheet (package data), not only the checkout has them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_SOURCE = shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__", "data")


def test_the_wheel_carries_every_template_and_the_stylesheet(tmp_path: Path) -> None:
    source, wheels = tmp_path / "source", tmp_path / "wheels"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        str(wheels),
    ]
    done = subprocess.run(
        [*command, "."], cwd=source, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = wheels.glob("cisip_bot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"bot/web/templates/{p.name}" for p in (ROOT / "bot" / "web" / "templates").glob("*.html")}
    assert templates and templates <= names
    assert "bot/web/static/style.css" in names
    assert "bot/locales/zh-CN/web.json" in names

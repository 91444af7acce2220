"""The suite drops the public schema of TEST_DATABASE_URL, so it refuses one not named for tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import database_guard_refusal, is_test_database_name

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("cisip_test", True),
        ("test", True),
        ("tests", True),
        ("cisip_test_ci_42", True),
        ("cisip-test", True),
        ("cisip.testing", True),
        ("TEST_cisip", True),
        ("cisip", False),
        ("production", False),
        ("contest", False),
        ("latest", False),
        ("cisip_latest", False),
        ("", False),
    ],
)
def test_a_database_is_for_tests_when_a_part_of_its_name_starts_with_test(name: str, allowed: bool) -> None:
    assert is_test_database_name(name) is allowed


def test_the_refusal_names_the_database_and_what_to_use() -> None:
    assert database_guard_refusal("postgresql://postgres@127.0.0.1:5432/cisip_test") is None
    refusal = database_guard_refusal("postgresql://postgres@127.0.0.1:5432/cisip")
    assert refusal is not None
    assert "'cisip'" in refusal
    assert "cisip_test" in refusal


def test_the_suite_stops_with_one_line_before_running_anything_on_a_database_not_for_tests() -> None:
    env = {**os.environ, "TEST_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/cisip"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/bot/test_config.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert lines == [
        "ERROR: TEST_DATABASE_URL names database 'cisip', and the tests drop its public schema: "
        "use a database whose name marks it as one for tests (a part 'test...', e.g. cisip_test)"
    ]

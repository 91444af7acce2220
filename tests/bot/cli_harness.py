"""Running ``cisip-bot`` in-process, for the command-line tests (their clean environment is the
``clean_environment`` fixture of ``tests/bot/conftest.py``)."""

from __future__ import annotations

import pytest

from bot.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``cisip-bot ARGS`` in this process: its exit code, standard output and standard error."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err

"""The hostile-input property test, run longer and with fresh randomness.

    python bench/hostile_bench.py [--examples 10] [--backend sqlite postgresql]

Runs ``tests/hostile`` (every option of every registered command, every form it opens and every
button it posts, given generated values as a member and as staff, through the emulator) with
``--examples`` examples per command and fresh randomness, instead of the suite's two derandomized
ones. PostgreSQL runs when ``TEST_DATABASE_URL`` is set (as ``.ci/run`` sets it).

Printed per backend: commands, examples per command, interactions sent, refused privately (a clear
message, nothing stored), accepted, interactions per second, wall time, and the outcome:
``0 failures`` or the first failing check (the interaction, what it sent, what went wrong, and the
values Hypothesis drew for it). ``HOSTILE_BENCH_SHOW=1`` prints the end of pytest's output.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNTS = re.compile(r"^(\d+) interactions, (\d+) refused, (\d+) commands", re.MULTILINE)


def run(backend: str, examples: int) -> None:
    env = dict(os.environ, HOSTILE_EXAMPLES=str(examples), HOSTILE_RANDOM="1", HOSTILE_VERBOSE="1")
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            "tests/hostile",
            "-k",
            backend,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    output = result.stdout + result.stderr
    counts = COUNTS.findall(output)
    sent, refused, commands = (int(value) for value in counts[-1]) if counts else (0, 0, 0)
    if result.returncode == 0:
        outcome = "0 failures"
    elif " passed" not in output and " failed" not in output and " error" not in output:
        outcome = "not run (set TEST_DATABASE_URL for PostgreSQL)"
    else:
        failure = next((line for line in output.splitlines() if line.startswith("E ")), "see pytest output")
        outcome = f"FAILED: {failure.strip()}"
    print(
        f"{backend:<11} {commands} commands x {examples} examples  interactions {sent:>6,}"
        f"  refused {refused:>6,}  accepted {sent - refused:>6,}"
        f"  {sent / elapsed if elapsed else 0:>5.1f}/s  {elapsed:>6.1f} s  {outcome}"
    )
    if result.returncode not in (0, 5) and os.environ.get("HOSTILE_BENCH_SHOW"):
        print(output[-6000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10, help="examples per command (default 10)")
    parser.add_argument(
        "--backend", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    args = parser.parse_args()
    if args.examples < 1:
        parser.error("--examples must be at least 1")
    for backend in args.backend:
        run(backend, args.examples)


if __name__ == "__main__":
    main()

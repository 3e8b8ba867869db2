"""Run the benchmarks: `python -m bench [projection rebuild commands offline_sync reads
household_import]`.

Each runs in a process of its own (so one's memory does not weigh on the next), prints its
figures and a RESULT line; the RESULT lines are gathered in var/bench/results.json.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench.common import REPO_ROOT, WORK_DIR

BENCHMARKS = ("projection", "rebuild", "commands", "offline_sync", "reads", "household_import")


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose among {', '.join(BENCHMARKS)}")
        return 2
    results, failed = [], []
    for name in names or BENCHMARKS:
        process = subprocess.Popen(
            [sys.executable, "-m", f"bench.{name}"],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for line in process.stdout or ():
            print(line, end="", flush=True)
            if line.startswith("RESULT "):
                results.append(json.loads(line.removeprefix("RESULT ")))
        if process.wait() != 0:
            failed.append(name)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    (WORK_DIR / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\n{len(results)} benchmark(s) done; figures in {WORK_DIR / 'results.json'}")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

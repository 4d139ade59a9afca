"""Run every benchmark in bench/ in turn; each prints one JSON object per line.

Usage: python bench/run.py [name ...]   (names like amqp, kafka, nats, live, real, neighbour)
Each benchmark measures the simulator beside its real anchor in the same run, so the
ratios it prints compare like with like on this machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["amqp", "kafka", "nats", "real", "live", "class", "neighbour"]


def main(argv: list[str]) -> int:
    names = argv or [n for n in ORDER if (HERE / f"{n}_bench.py").exists()]
    failed = 0
    for name in names:
        script = HERE / f"{name}_bench.py"
        if not script.exists():
            print(json.dumps({"bench": name, "error": "no such benchmark"}), flush=True)
            failed += 1
            continue
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        print(
            json.dumps(
                {
                    "bench": name,
                    "exit": result.returncode,
                    "seconds": round(time.monotonic() - started, 1),
                }
            ),
            flush=True,
        )
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`make shots`: a screenshot of every scenario's every step in presenter mode.

Starts the app on the embedded simulator (a throwaway database, a free loopback port),
opens each scenario from the gallery with ?present=1 at the sandbox's top speed, and for
each step: Next at the top speed (20×), waits for its claims to be
judged, then shoots the view at each size (default 1280×720 and 1920×1080) into
artifacts/shots/<slug>-<step>-<w>x<h>.png, with what was measured (fit, type size,
overlapping labels, see tests/browser/projector.py) in artifacts/shots/measure.json and a
line per shot that breaks the projector rule on stdout.

    python scripts/shots.py [--size 1280x720 ...] [--only SLUG ...] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

from tests.browser.projector import (  # noqa: E402
    WIDE_STEPS,
    finish_step,
    measure,
    open_presenting,
    problems,
    settle,
)
from tests.browser.test_playground import ARGS, free_port, wait_for_port  # noqa: E402


def serve(var: Path) -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ,
        "BP_VAR_DIR": str(var),
        "DATABASE_PATH": str(var / "db.sqlite3"),
        "REDIS_URL": "",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, capture_output=True)
    port = free_port()
    log = open(var / "server.log", "w")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [*manage, "runserver", "--insecure", "--noreload", f"127.0.0.1:{port}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    wait_for_port(port, proc)
    return proc, f"http://127.0.0.1:{port}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", action="append", help="WxH (repeatable)")
    ap.add_argument("--only", action="append", help="scenario slug (repeatable)")
    ap.add_argument("--out", default=str(ROOT / "artifacts" / "shots"))
    args = ap.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in (args.size or ["1280x720", "1920x1080"])]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import django

    django.setup()
    from playwright.sync_api import sync_playwright

    from sandbox.scenarios import list_scenarios, load

    slugs = args.only or [m["slug"] for m in list_scenarios()]
    t0 = time.monotonic()
    table: dict[str, list] = {}
    bad = 0
    with tempfile.TemporaryDirectory(prefix="bp-shots-") as tmp:
        proc, server = serve(Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                for slug in slugs:
                    w0, h0 = sizes[0]
                    context = browser.new_context(viewport={"width": w0, "height": h0})
                    page = context.new_page()
                    page.set_default_timeout(40_000)
                    open_presenting(page, server, slug)
                    rows = table.setdefault(slug, [])
                    for k in range(-1, len(load(slug).steps)):
                        if k >= 0:
                            finish_step(page, k)
                        for w, h in sizes:
                            if (w, h) != tuple(page.viewport_size.values()):
                                page.set_viewport_size({"width": w, "height": h})
                                settle(page)
                            name = f"{slug}-{k + 1:02d}-{w}x{h}.png"
                            page.screenshot(path=str(out / name))
                            m = measure(page)
                            # the 20 px rule as the tests hold it: at 1280×720, for the
                            # steps (not the start's overview), WIDE_STEPS excepted
                            rule = (w, h) == (1280, 720) and k >= 0
                            found = problems(m, fonts=rule and (slug, k + 1) not in WIDE_STEPS)
                            rows.append({"step": k + 1, "size": f"{w}x{h}", "problems": found,
                                         "fonts": m["fonts"], "scale": round(m["scale"], 3),
                                         "bands": m["bands"], "scrollH": m["scrollH"]})  # fmt: skip
                            for p in found:
                                bad += 1
                                print(f"{name}: {p}")
                        page.set_viewport_size({"width": w0, "height": h0})
                    context.close()
                    print(f"{slug}: done at {time.monotonic() - t0:.0f} s", flush=True)
                browser.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    (out / "measure.json").write_text(json.dumps(table, indent=1))
    print(f"{sum(len(r) for r in table.values())} shots in {out} in "
          f"{time.monotonic() - t0:.0f} s; {bad} problems")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

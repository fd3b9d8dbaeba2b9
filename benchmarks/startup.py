"""Start-up benchmark: time to the first reply in the local chat, and memory of each process.

Run: .venv/bin/python benchmarks/startup.py [--embedded-nlu]
Prints seconds from process start to the first bot reply, to "NLU ready" (with --embedded-nlu),
and the peak resident memory (VmHWM) of the bot process and of the Rasa process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rasa_pid() -> int | None:
    found = subprocess.run(
        ["pgrep", "-f", "rasa run --enable-api --quiet"], capture_output=True, text=True
    )
    pids = [int(p) for p in found.stdout.split()]
    return pids[0] if pids else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedded-nlu", action="store_true")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="opora-bench-")
    env = {**os.environ, "OPORA_DATA_DIR": data, "PYTHONUNBUFFERED": "1"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    if args.embedded_nlu:
        env["OPORA_NLU__URL"] = "http://127.0.0.1:5398"
    else:
        env.update(
            OPORA_NLU__MANAGE="external",
            NLU_URL="http://127.0.0.1:9",
            OPORA_NLU__STARTUP_WAIT_SECONDS="0",
        )
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--telegram-language", "ru"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    first_reply = nlu_ready = None
    for line in process.stdout:
        now = time.monotonic() - started
        if first_reply is None and line.startswith("bot>"):
            first_reply = now
            # Onboard, so the measured memory includes a real conversation.
            process.stdin.write("2\n1\n1\n1\n")
            process.stdin.flush()
        if args.embedded_nlu and ("NLU service is ready" in line or "not answering" in line):
            nlu_ready = now
        if first_reply is not None and (nlu_ready is not None or not args.embedded_nlu):
            break
    time.sleep(2)
    bot_mb = peak_rss_mb(process.pid)
    rasa = rasa_pid()
    rasa_mb = peak_rss_mb(rasa) if rasa else float("nan")
    process.stdin.write("/quit\n")
    process.stdin.flush()
    process.wait(60)
    print(f"first reply after      {first_reply:.1f} s")
    if args.embedded_nlu:
        print(f"NLU ready after        {nlu_ready:.1f} s" if nlu_ready else "NLU not ready")
    print(f"bot process peak RSS   {bot_mb:.0f} MiB")
    if args.embedded_nlu:
        print(f"Rasa process peak RSS  {rasa_mb:.0f} MiB")


if __name__ == "__main__":
    main()

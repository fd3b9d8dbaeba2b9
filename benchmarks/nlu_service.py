"""NLU service benchmark: model load time, parse latency, throughput at concurrency 8, memory.

Run (after `make train`): .venv/bin/python benchmarks/nlu_service.py [--model PATH]
It starts `rasa run` exactly as `make run` does, on a free port, then sends the held-out
messages (nlu/tests) through HTTP /model/parse.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import socket
import statistics
import time
from pathlib import Path

import httpx
import yaml

from bot.nlu_service import MODEL, start_rasa
from bot.settings import ROOT

ENTITY = re.compile(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})")


def messages() -> list[str]:
    found = []
    for path in sorted((ROOT / "nlu" / "tests").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in block.get("examples", "").splitlines():
                if line.strip().startswith("- "):
                    found.append(ENTITY.sub(r"\1", line.strip()[2:]))
    return found


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main(model: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url, token = f"http://127.0.0.1:{port}", secrets.token_urlsafe(16)
    started = time.monotonic()
    process = start_rasa(url, token, Path("/tmp/opora-bench-rasa.log"), model=model)
    params = {"token": token}
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        while True:
            try:
                status = await client.get("/status", params=params)
                if status.status_code == 200 and status.json().get("model_file"):
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.25)
        ready = time.monotonic() - started
        texts = messages()
        for text in texts[:20]:  # warm-up
            await client.post("/model/parse", params=params, json={"text": text})
        latencies = []
        for text in texts:
            t0 = time.perf_counter()
            response = await client.post("/model/parse", params=params, json={"text": text})
            response.raise_for_status()
            latencies.append((time.perf_counter() - t0) * 1000)
        gate = asyncio.Semaphore(8)

        async def one(text: str) -> None:
            async with gate:
                (
                    await client.post("/model/parse", params=params, json={"text": text})
                ).raise_for_status()

        t0 = time.perf_counter()
        await asyncio.gather(*(one(text) for text in texts))
        throughput = len(texts) / (time.perf_counter() - t0)
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"model                 {model.name} ({model.stat().st_size / 1e6:.1f} MB)")
    print(f"ready after start     {ready:.1f} s")
    print(f"messages              {len(texts)}")
    print(f"latency p50 / p95     {quantiles[49]:.1f} / {quantiles[94]:.1f} ms (sequential)")
    print(f"throughput            {throughput:.0f} parses/s at concurrency 8")
    print(
        f"service memory        {rss_mb(process.pid):.0f} MiB RSS, "
        f"{rss_mb(process.pid, 'VmHWM'):.0f} MiB peak"
    )
    process.terminate()
    process.wait(30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL)
    asyncio.run(main(parser.parse_args().model))

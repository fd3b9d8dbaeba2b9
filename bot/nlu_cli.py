"""`python -m bot nlu parse`: one message per input line in, one JSON object per line out."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TextIO

from bot.nlu import NluClient, NluUnavailable
from bot.settings import Settings

__all__ = ["parse_lines"]


async def parse_lines(
    settings: Settings, language: str, lines: TextIO, out: TextIO, concurrency: int = 4
) -> int:
    """Parse every non-empty line through the running NLU service; 0 if all were answered."""
    client = NluClient(settings.nlu.urls, settings.nlu.timeout_seconds, settings.nlu_auth_token)
    await client.open()
    texts = [line.rstrip("\n") for line in lines if line.strip()]
    results: list[str | None] = [None] * len(texts)
    failures: list[int] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int, text: str) -> None:
        async with gate:
            try:
                understood = await client.parse(text, language)
            except NluUnavailable as exc:
                results[index] = json.dumps({"text": text, "error": str(exc)}, ensure_ascii=False)
                failures.append(index)
                return
        results[index] = json.dumps(
            {
                "text": text,
                "intent": understood.intent.name,
                "confidence": round(understood.intent.confidence, 4),
                "entities": [{"entity": e.entity, "value": e.value} for e in understood.entities],
                "ranking": [
                    {"intent": g.name, "confidence": round(g.confidence, 4)}
                    for g in understood.ranking[:3]
                ],
            },
            ensure_ascii=False,
        )

    try:
        await asyncio.gather(*(one(i, text) for i, text in enumerate(texts)))
    finally:
        await client.close()
    for line in results:
        out.write(f"{line}\n")
    failed = len(failures)
    if failed:
        print(
            f"{failed} of {len(texts)} messages got no answer: is the NLU service running "
            f"at {', '.join(settings.nlu.urls)} (make nlu) with the same NLU_AUTH_TOKEN?",
            file=sys.stderr,
        )
    return 1 if failed else 0


def run(settings: Settings, language: str) -> int:
    return asyncio.run(parse_lines(settings, language, sys.stdin, sys.stdout))

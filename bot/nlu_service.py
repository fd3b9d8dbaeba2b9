"""The embedded NLU service: `make run` starts Rasa as a child process and stops it on exit.

The bot does not wait for Rasa (which needs tens of seconds to load): menus work at once, and
free text is understood as soon as the service reports a loaded model.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from bot.settings import ROOT, Settings

__all__ = ["MODEL", "RASA", "embedded_nlu", "start_rasa"]

log = logging.getLogger(__name__)

RASA = ROOT / "nlu" / ".venv" / "bin" / "rasa"
MODEL = ROOT / "nlu" / "models" / "opora.tar.gz"


def start_rasa(
    url: str, token: str, log_path: Path, model: Path = MODEL
) -> subprocess.Popen[bytes]:
    """Start `rasa run` serving the trained model on the host and port of `url`.

    --quiet keeps Rasa at WARNING: at DEBUG it logs every parsed message's text.
    """
    parts = urlsplit(url)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        # Opora's own Rasa components live in nlu/opora_nlu.
        "PYTHONPATH": str(ROOT / "nlu"),
    }
    with log_path.open("ab") as output:
        return subprocess.Popen(
            [
                str(RASA),
                "run",
                "--enable-api",
                "--model",
                str(MODEL),
                "--interface",
                parts.hostname or "127.0.0.1",
                "--port",
                str(parts.port or 5005),
                # "=" form: a random token may start with "-", which argparse takes for a flag.
                f"--auth-token={token}",
            ],
            cwd=ROOT / "nlu",
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )


async def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(asyncio.to_thread(process.wait), 15)
    except TimeoutError:
        process.kill()
        await asyncio.to_thread(process.wait)


@asynccontextmanager
async def embedded_nlu(settings: Settings) -> AsyncIterator[Settings]:
    """Start the NLU service if this deployment manages it; yields settings with its token."""
    if settings.nlu.manage != "embedded":
        yield settings
        return
    if not RASA.exists() or not MODEL.exists():
        log.warning("NLU service not set up (run `make setup train`); free text uses keywords")
        # Nothing is managed after all: nobody should wait for a service that will not come.
        yield settings.model_copy(
            update={"nlu": settings.nlu.model_copy(update={"manage": "external"})}
        )
        return
    token = settings.nlu_auth_token or secrets.token_urlsafe(24)
    process = start_rasa(settings.nlu.urls[0], token, settings.data_dir / "nlu.log")
    log.info(
        "Started the NLU service (pid %s); log in %s", process.pid, settings.data_dir / "nlu.log"
    )
    try:
        yield settings.model_copy(update={"nlu_auth_token": token})
    finally:
        await _stop(process)

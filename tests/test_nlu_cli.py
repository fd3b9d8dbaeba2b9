"""`python -m bot nlu parse`: batch parsing through the running NLU service."""

from __future__ import annotations

import io
import json
from typing import Any

from bot.nlu_cli import parse_lines
from tests.fake_nlu import TOKEN, FakeNlu


async def test_one_json_object_per_line(nlu: FakeNlu, make_settings: Any) -> None:
    nlu.script.answers["привет"] = [("greet", 0.96), ("thanks", 0.02)]
    settings = make_settings(NLU_URL=nlu.url, NLU_AUTH_TOKEN=TOKEN)
    out = io.StringIO()
    code = await parse_lines(settings, "ru", io.StringIO("привет\n\nкак погода\n"), out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 0
    assert [line["text"] for line in lines] == ["привет", "как погода"]
    assert lines[0]["intent"] == "greet"
    assert lines[0]["confidence"] == 0.96
    assert lines[0]["entities"] == []
    assert lines[1]["intent"] == "out_of_scope"


async def test_dead_service_is_reported(nlu: FakeNlu, make_settings: Any, capsys: Any) -> None:
    nlu.script.down = True
    settings = make_settings(NLU_URL=nlu.url, NLU_AUTH_TOKEN=TOKEN)
    out = io.StringIO()
    code = await parse_lines(settings, "en", io.StringIO("hello\n"), out)
    assert code == 1
    assert "error" in json.loads(out.getvalue())
    assert "make nlu" in capsys.readouterr().err

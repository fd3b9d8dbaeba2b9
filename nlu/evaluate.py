"""Evaluate trained NLU models on the held-out set (nlu/tests) and the external off-topic set.

Runs in the NLU environment (Python 3.10, Rasa):
    nlu/.venv/bin/python nlu/evaluate.py --model nlu/models/opora.tar.gz
    nlu/.venv/bin/python nlu/evaluate.py --per-language-dir /tmp/models   # opora-<lang>.tar.gz
Prints, per language: accuracy, macro-F1, out-of-scope recall, in-scope messages rejected as
out_of_scope, recall of the urgent intents; then the most confused intent pairs, and the
external off-topic set. `--json FILE` also writes the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

HERE = Path(__file__).resolve().parent
EXTERNAL = HERE.parent.parent / "shared" / "eval" / "oos_external.tsv"
LANGUAGES = ["en", "ru", "uk", "kk", "ky", "tg", "sr", "ro"]
URGENT = ["overdose_emergency", "mental_health_crisis"]
# As in bot/understand.py: urgent intents are answered from this confidence on.
URGENT_THRESHOLD = 0.3
OOS = "out_of_scope"


def confidence_threshold() -> float:
    """The bot's "Did you mean" threshold, from the repository's config.yml."""
    import yaml

    config = yaml.safe_load((HERE.parent / "config.yml").read_text(encoding="utf-8"))
    return float(config["nlu"]["confidence_threshold"])


def load_tests(directory: Path) -> list[tuple[str, str, str]]:
    """(language, text, intent) for every held-out example."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for lang in LANGUAGES:
        path = directory / f"{lang}.yml"
        if not path.exists():
            continue
        data = load_data(str(path))
        for message in data.intent_examples:
            examples.append((lang, message.get("text"), message.get("intent")))
    return examples


def load_external() -> list[tuple[str, str, str, str]]:
    if not EXTERNAL.exists():
        return []
    with EXTERNAL.open(encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return [(r["lang"], r["text"], r["expected_intent"], r["kind"]) for r in rows]


class Parser:
    """One combined model, or one model per language chosen by the writer's language."""

    def __init__(self, model: Path | None, per_language_dir: Path | None) -> None:
        from rasa.core.agent import Agent

        started = time.monotonic()
        if model is not None:
            self.agents = {"*": Agent.load(str(model))}
        else:
            assert per_language_dir is not None
            self.agents = {
                lang: Agent.load(str(per_language_dir / f"opora-{lang}.tar.gz"))
                for lang in LANGUAGES
            }
        self.load_seconds = time.monotonic() - started

    async def parse(self, lang: str, text: str) -> tuple[str, float, dict[str, float]]:
        agent = self.agents.get("*") or self.agents[lang]
        result = await agent.parse_message(text)
        ranking = {r["name"]: float(r["confidence"]) for r in result.get("intent_ranking") or []}
        return result["intent"]["name"], float(result["intent"]["confidence"]), ranking


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    labels = sorted(set(gold))
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def recall(gold: list[str], predicted: list[str], label: str) -> float | None:
    hits = [p == label for g, p in zip(gold, predicted, strict=True) if g == label]
    return sum(hits) / len(hits) if hits else None


def bot_decision(
    predicted: str, confidence: float, ranking: dict[str, float], threshold: float
) -> str:
    """What the bot does with a parse (bot/understand.py): answer an intent, ask, or decline."""
    for urgent in URGENT:
        if ranking.get(urgent, 0.0) >= URGENT_THRESHOLD:
            return urgent
    if predicted == OOS:
        return OOS
    return predicted if confidence >= threshold else "ask"


def summarise(rows: list[tuple[str, str, str, float, str]]) -> dict[str, Any]:
    """rows: (language, gold, predicted, confidence, bot decision)."""
    by_lang: dict[str, list[tuple[str, str]]] = defaultdict(list)
    decisions: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for lang, gold, predicted, _, decision in rows:
        by_lang[lang].append((gold, predicted))
        decisions[lang].append((gold, decision))
    table = {}
    for lang in LANGUAGES:
        pairs = by_lang.get(lang)
        if not pairs:
            continue
        gold = [g for g, _ in pairs]
        pred = [p for _, p in pairs]
        in_scope = [(g, p) for g, p in pairs if g != OOS]
        table[lang] = {
            "n": len(pairs),
            "accuracy": sum(g == p for g, p in pairs) / len(pairs),
            "macro_f1": macro_f1(gold, pred),
            "oos_recall": recall(gold, pred, OOS),
            "in_scope_rejected": (
                sum(p == OOS for _, p in in_scope) / len(in_scope) if in_scope else None
            ),
            **{f"recall_{u}": recall(gold, pred, u) for u in URGENT},
            **_bot_view(decisions[lang]),
        }
    confused = Counter((g, p) for _, g, p, _, _ in rows if g != p)
    return {"languages": table, "confused": confused.most_common(10)}


def _bot_view(pairs: list[tuple[str, str]]) -> dict[str, float | None]:
    """The person's view: wrong answers given, and urgent messages answered as urgent."""
    in_scope = [(g, d) for g, d in pairs if g != OOS]
    off_topic = [d for g, d in pairs if g == OOS]
    urgent = [(g, d) for g, d in pairs if g in URGENT]
    return {
        "bot_wrong_answer": sum(d not in (g, "ask", OOS) for g, d in in_scope) / len(in_scope),
        "bot_asked": sum(d == "ask" for _, d in in_scope) / len(in_scope),
        "bot_oos_answered_as_topic": (
            sum(d not in (OOS, "ask") for d in off_topic) / len(off_topic) if off_topic else None
        ),
        "bot_urgent_answered": sum(g == d for g, d in urgent) / len(urgent) if urgent else None,
    }


def fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def print_table(summary: dict[str, Any]) -> None:
    print(
        f"{'lang':<5}{'n':>5} {'accuracy':>9} {'macro-F1':>9} {'OOS rec':>8} "
        f"{'in->OOS':>8} {'overdose':>9} {'crisis':>8}"
    )
    for lang, row in summary["languages"].items():
        print(
            f"{lang:<5}{row['n']:>5} {fmt(row['accuracy']):>9} {fmt(row['macro_f1']):>9} "
            f"{fmt(row['oos_recall']):>8} {fmt(row['in_scope_rejected']):>8} "
            f"{fmt(row['recall_overdose_emergency']):>9} "
            f"{fmt(row['recall_mental_health_crisis']):>8}"
        )
    print(
        "\nAs the bot acts on it (threshold, urgent first): wrong answer / asked 'did you mean' "
        "(in-scope), off-topic answered as a topic, urgent answered first"
    )
    for lang, row in summary["languages"].items():
        print(
            f"{lang:<5} wrong {fmt(row['bot_wrong_answer'])}  asked {fmt(row['bot_asked'])}  "
            f"off-topic answered {fmt(row['bot_oos_answered_as_topic'])}  "
            f"urgent {fmt(row['bot_urgent_answered'])}"
        )
    print("\nMost confused (gold -> predicted: count)")
    for (gold, predicted), count in summary["confused"]:
        print(f"  {gold} -> {predicted}: {count}")


async def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    parser = Parser(args.model, args.per_language_dir)
    tests = load_tests(args.tests)
    rows = []
    started = time.monotonic()
    threshold = confidence_threshold()
    for lang, text, gold in tests:
        predicted, confidence, ranking = await parser.parse(lang, text)
        decision = bot_decision(predicted, confidence, ranking, threshold)
        rows.append((lang, gold, predicted, confidence, decision))
    parse_seconds = time.monotonic() - started
    summary = summarise(rows)
    print(f"Held-out set: {len(tests)} messages ({args.tests})")
    print_table(summary)
    external = load_external()
    ext_rows = []
    for lang, text, gold, _kind in external:
        lang_key = lang if lang in LANGUAGES else "en"
        predicted, confidence, ranking = await parser.parse(lang_key, text)
        decision = bot_decision(predicted, confidence, ranking, threshold)
        ext_rows.append((lang, gold, predicted, decision))
    if not external:
        print(f"\nExternal off-topic set: not found at {EXTERNAL} (shared/ beside the repository)")
    if ext_rows:
        print(f"\nExternal off-topic set: {len(ext_rows)} messages ({EXTERNAL.name})")
        by_lang: dict[str, list[bool]] = defaultdict(list)
        for lang, gold, predicted, _ in ext_rows:
            by_lang[lang].append(gold == predicted)
        for lang, hits in sorted(by_lang.items()):
            print(f"  {lang:<4} correct {sum(hits)}/{len(hits)}")
        wrong = Counter((g, p) for _, g, p, _ in ext_rows if g != p)
        declined = sum(d in (OOS, "ask") for _, g, _, d in ext_rows if g == OOS)
        total_oos = sum(1 for _, g, _, _ in ext_rows if g == OOS)
        print(f"  off-topic declined or asked by the bot: {declined}/{total_oos}")
        print(
            "  most frequent mistakes:",
            ", ".join(f"{g}->{p} ×{n}" for (g, p), n in wrong.most_common(5)),
        )
    print(
        f"\nmodel load {parser.load_seconds:.1f} s; in-process parse "
        f"{1000 * parse_seconds / max(1, len(tests)):.2f} ms/message"
    )
    summary["external"] = {
        "n": len(ext_rows),
        "correct": sum(g == p for _, g, p, _ in ext_rows),
        "by_language": {
            lang: [
                sum(1 for r in ext_rows if r[0] == lang and r[1] == r[2]),
                sum(1 for r in ext_rows if r[0] == lang),
            ]
            for lang in sorted({r[0] for r in ext_rows})
        },
    }
    summary["load_seconds"] = parser.load_seconds
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--model", type=Path)
    which.add_argument("--per-language-dir", type=Path)
    parser.add_argument("--tests", type=Path, default=HERE / "tests")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.model is None and args.per_language_dir is None:
        args.model = HERE / "models" / "opora.tar.gz"
    from rasa.utils.log_utils import configure_structlog

    # Rasa logs every parsed text at DEBUG; evaluation output is the table only.
    configure_structlog(logging.WARNING)
    logging.disable(logging.WARNING)
    summary = asyncio.run(evaluate(args))
    if args.json:
        summary["confused"] = [[g, p, n] for (g, p), n in summary["confused"]]
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

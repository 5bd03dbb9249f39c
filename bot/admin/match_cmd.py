"""Staff tools that log nothing: ``ask`` (one answer) and ``match --jsonl`` (batch matching)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.admin.common import dump_json, kb_path_arg, run_async, settings_from, setup_logging
from bot.core.match import MatchResult
from bot.core.messages import IncomingMessage
from bot.runtime import open_runtime


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ask = sub.add_parser("ask", help="answer one question (nothing is logged)")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the reply as JSON")
    kb_path_arg(ask)
    ask.set_defaults(func=cmd_ask)

    match = sub.add_parser("match", help="match JSON lines {'text': ...} from stdin")
    match.add_argument("--jsonl", action="store_true", required=True, help="JSON lines in and out")
    kb_path_arg(match)
    match.set_defaults(func=cmd_match)


def result_json(result: MatchResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "faq_id": result.faq_id,
        "confidence": round(result.candidates[0].confidence, 4) if result.candidates else 0.0,
        "candidates": [
            {"faq_id": c.faq_id, "confidence": round(c.confidence, 4)}
            for c in result.candidates[:3]
        ],
    }


def cmd_match(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings, quiet=True)

    async def run() -> int:
        async with open_runtime(settings, kb_path=args.kb, log_conversations=False) as runtime:
            matcher = runtime.snapshot.matcher
            bad = 0
            for number, line in enumerate(sys.stdin, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    text = item["text"] if isinstance(item, dict) else None
                    if not isinstance(text, str):
                        raise TypeError("'text' must be a string")
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    # Keep output aligned with input: one line out for every line in.
                    bad += 1
                    print(f"line {number}: {exc}", file=sys.stderr)
                    text = ""
                print(dump_json(result_json(matcher.match(text))), flush=False)
            sys.stdout.flush()
            return 1 if bad else 0

    return run_async(run)


def cmd_ask(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings, quiet=True)

    async def run() -> int:
        async with open_runtime(settings, kb_path=args.kb, log_conversations=False) as runtime:
            reply = runtime.responder.respond(
                IncomingMessage(channel="cli", user_id="staff", chat_id="staff", text=args.question)
            )
            if args.json:
                print(
                    dump_json(
                        {
                            "outcome": reply.outcome.value,
                            "faq_id": reply.faq_id,
                            "confidence": round(reply.confidence, 4),
                            "candidates": [
                                {"faq_id": c.faq_id, "confidence": round(c.confidence, 4)}
                                for c in reply.candidates[:3]
                            ],
                            "text": reply.text,
                            "choices": [
                                {"label": c.label, "action": c.action} for c in reply.choices
                            ],
                        }
                    )
                )
            else:
                print(reply.text)
                for index, choice in enumerate(reply.choices, start=1):
                    print(f"  {index}. {choice.label}")
                print(f"[{reply.outcome.value} {reply.faq_id or '-'} {reply.confidence:.2f}]")
            return 0

    return run_async(run)

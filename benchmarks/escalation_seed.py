"""Records the seed verdict set: plays each conversation of
data/escalation_verdicts/conversations.yml through the real stack and keeps what the escalation
decision saw, as review cases with their verdicts (data/escalation_verdicts/cases.jsonl).

    python -m benchmarks.escalation_seed [--only id,id | --relabel] [--transcripts FILE]

Starts its own stack (Redis, service, action server, Rasa with the trained model) on free
loopback ports; each conversation's messages go through Rasa's REST channel as a customer
`seed-<id>` (a verified customer's claims signed with the stack's secret, or with a guessed one
for a forged claim); the masked tracker is read back from Redis and turned into a review case
by review/capture.py, exactly as the outcome watchdog does. So intents, confidences, sentence
vectors, knowledge-base outcomes, bot replies and the live policy's decisions are what the
running assistant produced, not guesses.

The verdict of each case follows from the conversation's `expected` (the reviewer's judgement,
written before recording) and what the live policy did (`verdict_for`). `--only` re-records
some conversations and keeps the others' cases; `--relabel` records nothing and only recomputes
the verdicts after an `expected` changed. `--transcripts` writes a readable transcript of
every case with its decisions, for the person labelling them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as redis
import yaml

from benchmarks.bench_stack import throwaway_stack
from handoff.privacy.identity import sign_customer
from infra.clock import iso_utc, utc_now
from review.capture import case_from_tracker
from review.case import ReviewCase
from review.seed import SEED_CASES, SEED_CONVERSATIONS, verdict_for
from stack.supervisor import Stack


def load_conversations(path: Path) -> list[dict[str, Any]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(document["conversations"])


def metadata_for(conversation: dict[str, Any], stack: Stack) -> dict[str, Any] | None:
    customer = conversation.get("customer")
    if not customer:
        return None
    claims = {
        "id": f"c-{conversation['id']}"[:128],
        "tier": customer.get("tier"),
        "prior_escalations": customer.get("prior_escalations", 0),
    }
    secret = "guessed-secret" if customer.get("forged") else stack.config.customer_signing_secret
    return {"customer": sign_customer(claims, secret)}


async def record(
    stack: Stack, session: aiohttp.ClientSession, conversation: dict[str, Any]
) -> ReviewCase:
    sender = f"seed-{conversation['id']}"
    url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    metadata = metadata_for(conversation, stack)
    for text in conversation["messages"]:
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        async with session.post(url, json=body) as response:
            response.raise_for_status()
            await response.json()
    client = redis.Redis.from_url(stack.config.redis.url)
    try:
        stored = await client.get(f"tracker:{sender}")
    finally:
        await client.aclose()
    if stored is None:
        raise RuntimeError(f"no tracker for {sender} in Redis")
    return case_from_tracker(stored, captured_at=iso_utc(utc_now()))


def seed_line(conversation: dict[str, Any], case: ReviewCase) -> dict[str, Any]:
    expected = conversation.get("expected")
    expected = None if expected in (None, "none") else expected
    verdict = verdict_for(case, expected, conversation.get("why", ""))
    line: dict[str, Any] = {
        "id": conversation["id"],
        "split": conversation["split"],
        "expected": expected,
        "verdict": verdict,
        "case": case.to_dict(),
    }
    if conversation.get("story"):
        line["story"] = conversation["story"]
        line["expect"] = conversation["expect"]
    return line


def transcript(line: dict[str, Any]) -> str:
    case = ReviewCase.from_json(json.dumps(line["case"]))
    recorded = {d.turn: d for d in case.recorded}
    out = [f"== {line['id']} ({line['split']}) expected {line['expected']} -> {line['verdict']}"]
    for turn in case.turns:
        decision = recorded.get(turn.number)
        said = f"{decision.action} {decision.reason or ''} {decision.score}" if decision else "-"
        out.append(
            f"  {turn.number}. {turn.text!r} [{turn.intent} {turn.confidence:.2f}, "
            f"{turn.outcome}] -> {', '.join(turn.bot_actions)} | {said}"
        )
        out.extend(f"       bot: {text[:110]!r}" for text in turn.bot_texts)
    return "\n".join(out)


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=Path, default=SEED_CONVERSATIONS)
    parser.add_argument("--out", type=Path, default=SEED_CASES)
    parser.add_argument("--only", default="", help="comma-separated ids to re-record")
    parser.add_argument(
        "--relabel", action="store_true", help="record nothing: recompute verdicts only"
    )
    parser.add_argument("--transcripts", type=Path, default=None)
    args = parser.parse_args(argv)
    conversations = load_conversations(args.conversations)
    only = {name for name in args.only.split(",") if name}
    cases: dict[str, ReviewCase] = {}
    if (only or args.relabel) and args.out.exists():
        for text in args.out.read_text(encoding="utf-8").splitlines():
            line = json.loads(text)
            cases[line["id"]] = ReviewCase.from_json(json.dumps(line["case"]))
    if not args.relabel:
        async with throwaway_stack() as stack:
            timeout = aiohttp.ClientTimeout(total=120)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                for conversation in conversations:
                    if only and conversation["id"] not in only:
                        continue
                    cases[conversation["id"]] = await record(stack, session, conversation)
                    print(f"recorded {conversation['id']}", flush=True)
    # verdicts always follow the current `expected` of every conversation
    lines = [seed_line(c, cases[c["id"]]) for c in conversations if c["id"] in cases]
    args.out.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    if args.transcripts:
        args.transcripts.parent.mkdir(parents=True, exist_ok=True)
        args.transcripts.write_text("\n\n".join(transcript(line) for line in lines) + "\n")
    print(f"{len(lines)} cases in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))

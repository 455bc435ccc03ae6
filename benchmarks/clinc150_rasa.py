"""The Rasa side of `benchmarks/clinc150_oos.py` (bot env, Python 3.10): train, then parse.

    python -m stack with-service -- .venv/bot/bin/python -m benchmarks.clinc150_rasa JOB.json

JOB.json (written by clinc150_oos): {"queries": FILE, "variants": [{"name", "nlu", "config",
"model", "predictions"}]}. For each variant: `rasa train nlu` with the given data and config
(skipped when the model file already exists: its name carries a hash of data and config), then
every query is parsed by the trained model the way the assistant parses a customer message
(`Agent.parse_message`, sentence vectors from the service). Predictions are written as JSON:
Rasa's intent (may be `nlu_fallback`) and the intent ranking without `nlu_fallback`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RANKING_KEPT = 3


def train(variant: dict[str, str]) -> dict[str, Any]:
    model = Path(variant["model"])
    stem = model.name.removesuffix(".tar.gz")
    info_path = model.parent / f"{stem}.train.json"
    if model.exists() and info_path.exists():
        info = json.loads(info_path.read_text())
        print(
            f"[clinc150] {variant['name']}: reusing {model.name} (trained in {info['seconds']} s)"
        )
        return {**info, "reused": True}
    model.parent.mkdir(parents=True, exist_ok=True)
    log_path = model.parent / f"{stem}.train.log"
    argv = [
        str(Path(sys.executable).parent / "rasa"),
        "train",
        "nlu",
        "--config",
        variant["config"],
        "--nlu",
        variant["nlu"],
        "--out",
        str(model.parent),
        "--fixed-model-name",
        stem,
    ]
    # Rasa's training cache (.rasa/cache, 1 GB) is shared with the assistant's own training:
    # these large models would evict its entries, so this run does not cache.
    env = {**os.environ, "RASA_MAX_CACHE_SIZE": "0"}
    print(f"[clinc150] {variant['name']}: training (log: {log_path})", flush=True)
    started = time.time()
    with log_path.open("w") as log:
        code = subprocess.run(argv, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    seconds = round(time.time() - started, 1)
    if code != 0 or not model.exists():
        raise SystemExit(f"[clinc150] rasa train nlu failed (exit {code}); see {log_path}")
    info = {
        "seconds": seconds,
        "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
    }
    info_path.write_text(json.dumps(info))
    print(f"[clinc150] {variant['name']}: trained in {seconds} s", flush=True)
    return {**info, "reused": False}


async def predict(model: Path, texts: list[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # else every parse is logged at debug level
    agent = Agent.load(str(model))
    predictions = []
    for number, text in enumerate(texts, start=1):
        parsed = await agent.parse_message(text)
        ranking = [
            [item["name"], round(float(item["confidence"]), 6)]
            for item in parsed.get("intent_ranking", [])
            if item["name"] != "nlu_fallback"
        ]
        predictions.append(
            {
                "rasa_intent": parsed["intent"]["name"],
                "ranking": ranking[:RANKING_KEPT],
                # set by rasa_extensions.coverage_fallback when the pipeline has it
                "coverage": parsed.get("coverage"),
            }
        )
        if number % 1000 == 0:
            print(f"[clinc150]   parsed {number}/{len(texts)}", flush=True)
    return predictions


def run(job_path: Path) -> None:
    job = json.loads(job_path.read_text())
    texts = json.loads(Path(job["queries"]).read_text())
    for variant in job["variants"]:
        training = train(variant)
        output = Path(variant["predictions"])
        if output.exists():
            print(f"[clinc150] {variant['name']}: reusing {output.name}")
            continue
        started = time.time()
        predictions = asyncio.run(predict(Path(variant["model"]), texts))
        seconds = round(time.time() - started, 1)
        print(f"[clinc150] {variant['name']}: parsed {len(texts)} queries in {seconds} s")
        output.write_text(
            json.dumps({"training": training, "parse_seconds": seconds, "predictions": predictions})
        )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    run(Path(sys.argv[1]))

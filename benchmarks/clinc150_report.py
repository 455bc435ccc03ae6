"""The markdown view of `benchmarks/clinc150_oos.py`'s JSON report."""

from __future__ import annotations

from typing import Any


def percent(value: float) -> str:
    return f"{100 * value:.1f}"


def markdown_report(report: dict[str, Any]) -> str:
    lines = ["# CLINC150 out-of-scope detection", ""]
    config = report["config"]
    if config["shipped"]:
        lines.append("Config: bot/config.yml as shipped.")
    else:
        lines.append(
            f"**NOT the shipped config** - changed: {config['overrides']} (a quick run; the "
            "shipped numbers come from a run without --epochs)."
        )
    machine = report["machine"]
    lines += [
        "",
        f"Command: `{report['command']}`  ",
        f"Date: {report['date']}; {machine['cpus']} CPUs, {machine['platform']}; load average "
        f"before/after {machine['load_average_before'][0]}/{machine['load_average_after'][0]}  ",
        f"Data: {report['data']}  ",
        shipped_line(report),
        f"Thresholds chosen on val: the highest in-scope accuracy with oos recall >= "
        f"{report['target_recall_on_val']} (else the highest recall). Coverage: all-MiniLM-L6-v2 "
        "cosine similarity to the closest in-scope training example.",
        "",
        "| model | detector | thresholds (chosen on val) | val in-scope acc | val oos recall "
        "| **test in-scope acc** | **test oos recall** |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in report["results"]:
        lines.append(
            f"| {row['model']} | {row['detector']} | {row['thresholds']} | "
            f"{percent(row['val']['in_scope_accuracy'])} | {percent(row['val']['oos_recall'])} | "
            f"**{percent(row['test']['in_scope_accuracy'])}** | "
            f"**{percent(row['test']['oos_recall'])}** |"
        )
    lines += [
        "",
        "Published (Larson et al. 2019, Table 2): "
        + ", ".join(
            f"{name} {acc}/{recall}" for name, (acc, recall) in report["published"].items()
        ),
    ]
    target = report["target"]
    lines.append(
        f"Target: in-scope accuracy >= {percent(target['in_scope_accuracy'])} % with oos recall "
        f">= {percent(target['oos_recall'])} %."
    )
    lines += ["", "## Time and checks", ""]
    for name, model in report["models"].items():
        training = model["training"]
        reused = ""
        if model.get("from_earlier_run") or training.get("reused"):
            reused = f" (in an earlier run that started {training['started']})"
        check = f"{percent(model['nlu_fallback_agreement'])} %"
        if "coverage_max_difference" in model:
            check += (
                f", coverage differs from the component's by at most "
                f"{model['coverage_max_difference']}"
            )
        lines.append(
            f"- {name}: `rasa train nlu` {training['seconds']} s{reused}, parsing the val and "
            f"test queries {model['parse_seconds']} s; classifier alone, test in-scope accuracy "
            f"{percent(model['classifier_accuracy_test'])} %; our reading of the shipped "
            f"fallback rules matches Rasa's nlu_fallback on {check}"
        )
    lines.append(
        "- reference: the intent of the closest training example (same all-MiniLM-L6-v2 vectors, "
        f"no Rasa), test in-scope accuracy "
        f"{percent(report['reference_nearest_neighbour_accuracy_test'])} %"
    )
    lines += linear_probe_lines(report.get("reference_linear_probe") or [])
    lines.append(
        f"- coverage embeddings: {report['coverage_embedding_seconds']} s (0 = cached); whole "
        f"command {report['total_seconds']} s"
    )
    lines += analysis_lines(report.get("analysis_shipped_detector") or {})
    return "\n".join(lines) + "\n"


def linear_probe_lines(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    lines = [
        "- reference: a logistic regression over the same all-MiniLM-L6-v2 vectors, alone and "
        "with the word and character n-grams (no Rasa; C and thresholds chosen on val; "
        "`benchmarks/clinc150_linear.py`), test in-scope accuracy / oos recall:",
        "",
        "  | features | model | C | argmax (no rejection) | val recall target | thresholds "
        "| test |",
        "  |---|---|---|---|---|---|---|",
    ]
    for row in rows:
        test = row["test"]
        lines.append(
            f"  | {row['features']} | {row['model']} | {row['c']:g} | "
            f"{percent(row['argmax_test_in_scope_accuracy'])} | {row['val_recall_target']} | "
            f"{row['thresholds']} | {percent(test['in_scope_accuracy'])} / "
            f"{percent(test['oos_recall'])} |"
        )
    return [*lines, ""]


def shipped_line(report: dict[str, Any]) -> str:
    shipped = report["shipped_thresholds"]
    line = (
        f"Shipped: FallbackClassifier threshold {shipped['fallback_threshold']}, ambiguity "
        f"{shipped['ambiguity_threshold']}"
    )
    if shipped["coverage_threshold"] is not None:
        line += f", CoverageFallbackClassifier threshold {shipped['coverage_threshold']}"
    return line + f" (bot/config.yml sha256 {report['config']['sha256']}).  "


def analysis_lines(analysis: dict[str, Any]) -> list[str]:
    if not analysis:
        return []
    lines = [
        "",
        f"## The shipped detector on test ({analysis['detector']})",
        "",
        f"95 % intervals: in-scope accuracy {analysis['in_scope_accuracy_95ci']}, oos recall "
        f"{analysis['oos_recall_95ci']}. Median coverage: in-scope "
        f"{analysis['coverage_median']['in_scope']}, out of scope "
        f"{analysis['coverage_median']['out_of_scope']}.",
        "",
        f"In-scope failures: {analysis['in_scope_failures']}",
        "",
        "Most frequent confusions of the classifier (gold -> predicted, count): "
        + ", ".join(f"{g} -> {p} {n}" for g, p, n in analysis["top_confusions"]),
        "",
        "Out-of-scope queries let through, taken for: "
        + ", ".join(f"{intent} {count}" for intent, count in analysis["oos_accepted_as"]),
        "",
        "Weakest intents (accuracy after rejection): "
        + ", ".join(f"{intent} {score}" for intent, score in analysis["weakest_intents"]),
        "",
        "Trade-off (same model; t1 and t2 chosen on val for each val recall target, with and "
        "without the FallbackClassifier's ambiguity rule; test in-scope accuracy / oos recall):",
        "",
        "| val recall target | with the ambiguity rule | test | without it | test |",
        "|---|---|---|---|---|",
    ]
    for row in analysis["recall_targets"]:
        cells = []
        for name in ("with_ambiguity_rule", "without_ambiguity_rule"):
            test = row[name]["test"]
            cells.append(
                f"{row[name]['thresholds']} | {percent(test['in_scope_accuracy'])} / "
                f"{percent(test['oos_recall'])}"
            )
        lines.append(f"| {row['target']} | " + " | ".join(cells) + " |")
    return lines

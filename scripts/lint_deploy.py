"""Check the deployment files under deploy/ without a container engine (there is none on the
project's machines): run by `make lint` and scripts/test.sh. docs/deployment.md, "Linting".

The linters of each format, all installed by the service env's dev extra or Debian:
- hadolint on the Dockerfiles (deploy/docker/*.Dockerfile);
- the Compose Specification's JSON schema (vendored by check-jsonschema) on deploy/compose.yaml;
- kubernetes-validate --strict (Kubernetes' own schemas, bundled) on deploy/kubernetes/;
- `haproxy -c -dW` (warnings fail) on deploy/haproxy/*.cfg, when HAProxy is installed (it is
  said when it is not).

And what no linter knows, checked here:
- the HAProxy ConfigMap holds deploy/haproxy/haproxy.cfg word for word, and its defaults and
  backends (balancing, health checks) are the launcher's (stack/load_balancer.py): one design;
- deploy/rasa/endpoints.yml is bot/endpoints.yml but for the action server's address;
- every dependency pyproject.toml gives an image is pinned in that image's constraints file, at
  a version the requirement accepts;
- kustomization.yaml lists every manifest; every Deployment runs as non-root on a read-only root
  file system with probes and resource requests; no secret is written into a manifest, the
  compose file or a Dockerfile (they come from the environment or a Kubernetes Secret), and a
  compose env_file (the help-desk targets' secrets) is one .gitignore names.

Usage: python scripts/lint_deploy.py [--sync-haproxy]
  exit 1 and every problem listed when a check fails; --sync-haproxy first copies
  deploy/haproxy/haproxy.cfg into the Kubernetes ConfigMap
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|REDIS_URL")
"""Settings that carry a secret (REDIS_URL holds Redis's password)."""
IMAGES = {"service": ("service", "3.11"), "bot": ("bot", "3.10")}
"""Each image: the pyproject extra it installs and its Python version."""
HAPROXY_TEST_ENV = {
    "GATEWAY_ADDR": "gateway",
    "SERVICE_ADDR": "service",
    "ACTIONS_ADDR": "actions",
    "RASA_ADDR": "rasa",
    "REDIS_NODES_ADDR": "redis",
    "REDIS_PASSWORD": "not-a-secret",
}

Problems = list[str]


def run_tool(argv: list[str], env: dict[str, str] | None = None) -> Problems:
    """A linter's complaints (its output) when it exits non-zero, else none."""
    result = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if result.returncode == 0:
        return []
    output = (result.stdout + result.stderr).strip()
    return [f"{Path(argv[0]).name} failed (exit {result.returncode}):\n{output}"]


def dockerfiles() -> list[Path]:
    return sorted((DEPLOY / "docker").glob("*.Dockerfile"))


def manifests() -> list[Path]:
    return sorted(
        p for p in (DEPLOY / "kubernetes").glob("*.yaml") if p.name != "kustomization.yaml"
    )


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def check_hadolint() -> Problems:
    return run_tool([str(BIN / "hadolint"), *map(str, dockerfiles())])


def check_compose_schema() -> Problems:
    compose = str(DEPLOY / "compose.yaml")
    return run_tool(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", compose]
    )


def check_kubernetes_schemas() -> Problems:
    argv = [str(BIN / "kubernetes-validate"), "--strict", "--quiet", *map(str, manifests())]
    return run_tool(argv)


def check_haproxy_syntax() -> Problems:
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")
    if haproxy is None:
        print("   haproxy is not installed: its own check of deploy/haproxy/ skipped")
        return []
    files = [DEPLOY / "haproxy" / "haproxy.cfg", DEPLOY / "haproxy" / "redis-master.cfg"]
    # -dW: a warning fails the check too
    argv = [haproxy, "-c", "-dW"] + [arg for path in files for arg in ("-f", str(path))]
    return run_tool(argv, env=os.environ | HAPROXY_TEST_ENV)


def haproxy_sections(text: str) -> dict[str, list[str]]:
    """HAProxy's sections ("backend rasa_replicas") and their directives, comments left out."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            current = sections.setdefault(line.strip(), [])
        else:
            current.append(line.strip())
    return sections


def without_servers(directives: list[str]) -> list[str]:
    """Directives but `default-server` (the containers' adds DNS resolution)."""
    return [line for line in directives if not line.startswith("default-server")]


def check_haproxy_design() -> Problems:
    """The containers' HAProxy balances and checks each kind as the launcher's does, and the
    Kubernetes ConfigMap carries the same file."""
    sys.path.insert(0, str(ROOT))
    from stack.load_balancer import BALANCING, GLOBAL, HEALTH_PATHS, MONITOR_PATH

    text = (DEPLOY / "haproxy" / "haproxy.cfg").read_text(encoding="utf-8")
    sections = haproxy_sections(text)
    launcher = haproxy_sections(GLOBAL.format(monitor=MONITOR_PATH))
    problems = []
    if without_servers(sections.get("defaults", [])) != without_servers(launcher["defaults"]):
        problems.append(
            f"haproxy.cfg defaults are {without_servers(sections.get('defaults', []))}, the "
            f"launcher's {without_servers(launcher['defaults'])} (default-server aside)"
        )
    for kind, balancing in BALANCING.items():
        directives = sections.get(f"backend {kind}_replicas")
        if directives is None:
            problems.append(f"haproxy.cfg: no `backend {kind}_replicas`")
            continue
        expected = [*balancing, f"option httpchk GET {HEALTH_PATHS[kind]}"]
        actual = [line for line in directives if not line.startswith("server-template")]
        if actual != expected:
            problems.append(
                f"haproxy.cfg backend {kind}_replicas is {actual}, the launcher's "
                f"(stack/load_balancer.py) {expected}"
            )
    configmaps = [
        d for d in load_all(DEPLOY / "kubernetes" / "haproxy.yaml") if d["kind"] == "ConfigMap"
    ]
    if not configmaps or configmaps[0]["data"].get("haproxy.cfg") != text:
        problems.append(
            "deploy/kubernetes/haproxy.yaml: the ConfigMap's haproxy.cfg differs from "
            "deploy/haproxy/haproxy.cfg: python scripts/lint_deploy.py --sync-haproxy"
        )
    return problems


def sync_haproxy_configmap() -> None:
    """Write deploy/haproxy/haproxy.cfg into the ConfigMap of deploy/kubernetes/haproxy.yaml
    (`--sync-haproxy`), between its `haproxy.cfg: |` line and the next document."""
    path = DEPLOY / "kubernetes" / "haproxy.yaml"
    before, marker, rest = path.read_text(encoding="utf-8").partition("  haproxy.cfg: |\n")
    _, separator, after = rest.partition("---\n")
    config = (DEPLOY / "haproxy" / "haproxy.cfg").read_text(encoding="utf-8")
    block = "".join(f"    {line}" if line.strip() else "\n" for line in config.splitlines(True))
    path.write_text(before + marker + block + separator + after, encoding="utf-8")


def check_rasa_endpoints() -> Problems:
    bot = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text(encoding="utf-8"))
    deploy = yaml.safe_load((DEPLOY / "rasa" / "endpoints.yml").read_text(encoding="utf-8"))
    problems = []
    if deploy.get("action_endpoint") != {"url": "${ACTION_ENDPOINT_URL}"}:
        problems.append("deploy/rasa/endpoints.yml: action_endpoint must be ${ACTION_ENDPOINT_URL}")
    rest = {key: value for key, value in deploy.items() if key != "action_endpoint"}
    if rest != {key: value for key, value in bot.items() if key != "action_endpoint"}:
        problems.append(
            "deploy/rasa/endpoints.yml differs from bot/endpoints.yml beyond action_endpoint: "
            "make the same change in both"
        )
    return problems


def pinned_versions(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, separator, version = line.split("#")[0].strip().partition("==")
        if separator:
            pins[canonicalize_name(name)] = version.strip()
    return pins


def constraint_problems(requirements: list[str], pins: dict[str, str], python: str) -> Problems:
    """Requirements (pyproject strings) that the pins leave out or do not satisfy."""
    problems = []
    for text in requirements:
        requirement = Requirement(text)
        if requirement.marker and not requirement.marker.evaluate({"python_version": python}):
            continue
        version = pins.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not pinned")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} does not satisfy {text!r}")
    return problems


def check_constraints() -> Problems:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    problems = []
    for image, (extra, python) in IMAGES.items():
        path = DEPLOY / "docker" / f"{image}.constraints.txt"
        requirements = project["dependencies"] + project["optional-dependencies"][extra]
        problems += [
            f"{path.relative_to(ROOT)}: {problem} (pip freeze the {image} env again)"
            for problem in constraint_problems(requirements, pinned_versions(path), python)
        ]
    return problems


def check_kustomization() -> Problems:
    listed = yaml.safe_load((DEPLOY / "kubernetes" / "kustomization.yaml").read_text())["resources"]
    present = [path.name for path in manifests()]
    if sorted(listed) != present:
        return [f"kustomization.yaml lists {sorted(listed)}, the folder holds {present}"]
    return []


def containers(deployment: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from deployment["spec"]["template"]["spec"]["containers"]


def deployment_problems(name: str, deployment: dict[str, Any]) -> Problems:
    """Non-root, read-only root file system, probes, requests; secrets only from a Secret."""
    pod = deployment["spec"]["template"]["spec"]
    problems = []
    if not pod.get("securityContext", {}).get("runAsNonRoot"):
        problems.append(f"{name}: the pod must set securityContext.runAsNonRoot")
    for container in containers(deployment):
        where = f"{name}/{container['name']}"
        security = container.get("securityContext", {})
        if not security.get("readOnlyRootFilesystem") or security.get("allowPrivilegeEscalation"):
            problems.append(f"{where}: readOnlyRootFilesystem true, allowPrivilegeEscalation false")
        for field in ("livenessProbe", "readinessProbe"):
            if field not in container:
                problems.append(f"{where}: no {field}")
        if "requests" not in container.get("resources", {}):
            problems.append(f"{where}: no resource requests")
        for variable in container.get("env", []):
            secret = variable.get("valueFrom", {}).get("secretKeyRef")
            if SECRET_NAME.search(variable["name"]) and not secret:
                problems.append(f"{where}: {variable['name']} must come from a Secret")
    return problems


def check_kubernetes_policy() -> Problems:
    problems = []
    for path in manifests():
        for doc in load_all(path):
            name = f"{path.name} {doc['kind']} {doc['metadata']['name']}"
            if doc["kind"] == "Deployment":
                problems += deployment_problems(name, doc)
            elif (
                doc["kind"] in ("ConfigMap", "Secret")
                and doc["metadata"]["name"] != "haproxy-config"
            ):
                problems += [
                    f"{name}: {key} is a secret: put it in the Secret support-assistant-secrets"
                    for key in doc.get("data", {}) | doc.get("stringData", {})
                    if SECRET_NAME.search(key)
                ]
    return problems


def check_no_baked_secrets() -> Problems:
    """The compose file takes every secret from the environment (`${...}`); no Dockerfile sets
    one."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    problems = [
        f"compose.yaml {service}: {name} must be ${{...}} from the environment"
        for service, spec in compose["services"].items()
        for name, value in (spec.get("environment") or {}).items()
        if SECRET_NAME.search(name) and not str(value).startswith("${")
    ]
    problems += env_file_problems(compose)
    for dockerfile in dockerfiles():
        text = dockerfile.read_text(encoding="utf-8").replace("\\\n", " ")  # continued lines
        for line in text.splitlines():
            if re.match(r"\s*(ENV|ARG)\b", line) and SECRET_NAME.search(line):
                problems.append(f"{dockerfile.name}: no secret in an image: {line.strip()}")
    return problems


def env_file_problems(compose: dict[str, Any]) -> Problems:
    """A compose service's env_file holds secrets (the help-desk targets'): each is named in
    .gitignore, so it is never committed."""
    ignored = set((ROOT / ".gitignore").read_text(encoding="utf-8").splitlines())
    problems = []
    for service, spec in compose["services"].items():
        files = spec.get("env_file") or []
        for entry in [files] if isinstance(files, str | dict) else files:
            path = entry if isinstance(entry, str) else entry["path"]
            named = (DEPLOY / path).resolve().relative_to(ROOT).as_posix()
            if named not in ignored:
                problems.append(
                    f"compose.yaml {service}: env_file {path}: list {named} in .gitignore"
                )
    return problems


CHECKS: dict[str, Callable[[], Problems]] = {
    "Dockerfiles (hadolint)": check_hadolint,
    "compose file (Compose Specification schema)": check_compose_schema,
    "Kubernetes manifests (kubernetes-validate --strict)": check_kubernetes_schemas,
    "HAProxy configuration (haproxy -c)": check_haproxy_syntax,
    "HAProxy design = the launcher's, ConfigMap = haproxy.cfg": check_haproxy_design,
    "Rasa endpoints = bot/endpoints.yml": check_rasa_endpoints,
    "image constraints pin pyproject.toml's requirements": check_constraints,
    "kustomization lists every manifest": check_kustomization,
    "Deployments: non-root, read-only, probes, requests, secrets": check_kubernetes_policy,
    "no secret in the compose file or an image": check_no_baked_secrets,
}


def main(argv: list[str]) -> int:
    if argv == ["--sync-haproxy"]:
        sync_haproxy_configmap()
        argv = []
    if argv:
        print(__doc__.split("Usage:")[1].strip(), file=sys.stderr)
        return 2
    failed = 0
    for title, check in CHECKS.items():
        problems = check()
        print(f"{'ok  ' if not problems else 'FAIL'} {title}")
        for problem in problems:
            print(f"     {problem}")
        failed += bool(problems)
    if failed:
        print(f"deploy/: {failed} of {len(CHECKS)} checks failed")
        return 1
    print(f"deploy/: all {len(CHECKS)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

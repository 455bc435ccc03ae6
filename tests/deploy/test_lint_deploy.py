"""scripts/lint_deploy.py catches what would break a deployment: each test breaks one thing in a
copy of deploy/ and checks the lint names it (and that the shipped files pass). The linters
are the real ones (hadolint, the compose schema, kubernetes-validate, haproxy)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_lint() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "lint_deploy", ROOT / "scripts" / "lint_deploy.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["lint_deploy"] = module
    spec.loader.exec_module(module)
    return module


lint = load_lint()


@pytest.fixture
def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of what the checks read (deploy/, bot/endpoints.yml, pyproject.toml, .gitignore),
    which the checks then read instead of the repository's."""
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    shutil.copy(ROOT / ".gitignore", tmp_path / ".gitignore")
    (tmp_path / "bot").mkdir()
    shutil.copy(ROOT / "bot" / "endpoints.yml", tmp_path / "bot" / "endpoints.yml")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    monkeypatch.setattr(lint, "ROOT", tmp_path)
    monkeypatch.setattr(lint, "DEPLOY", tmp_path / "deploy")
    yield tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path.name}: the test needs updating"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def failures(*checks: str) -> dict[str, list[str]]:
    """The problems of the named checks (by function name)."""
    return {name: getattr(lint, name)() for name in checks}


def test_the_shipped_deployment_files_pass_every_check() -> None:
    assert {title: check() for title, check in lint.CHECKS.items()} == {
        title: [] for title in lint.CHECKS
    }


def test_a_misspelt_compose_key_fails_the_compose_schema(copy: Path) -> None:
    edit(copy / "deploy" / "compose.yaml", "    read_only: true\n", "    read_onyl: true\n")
    (problem,) = lint.check_compose_schema()
    assert "read_onyl" in problem


def test_an_unknown_field_in_a_deployment_fails_the_kubernetes_schemas(copy: Path) -> None:
    edit(copy / "deploy" / "kubernetes" / "rasa.yaml", "readinessProbe:", "readynessProbe:")
    (problem,) = lint.check_kubernetes_schemas()
    assert "readynessProbe" in problem
    assert any("rasa/rasa: no readinessProbe" in p for p in lint.check_kubernetes_policy())


def test_a_dockerfile_lint_finding_fails(copy: Path) -> None:
    edit(copy / "deploy" / "docker" / "bot.Dockerfile", "pip install --no-cache-dir", "pip install")
    (problem,) = lint.check_hadolint()
    assert "DL3042" in problem  # pip's cache kept in the image


def test_a_secret_written_into_an_image_or_a_manifest_fails(copy: Path) -> None:
    edit(copy / "deploy" / "docker" / "service.Dockerfile", "HOME=/tmp", "SERVICE_TOKEN=abc")
    edit(
        copy / "deploy" / "kubernetes" / "settings.yaml",
        "  SHOP_CONNECTOR: order_service",
        "  SHOP_CONNECTOR: order_service\n  ORDER_SERVICE_TOKEN: abc",
    )
    edit(
        copy / "deploy" / "compose.yaml",
        "      METRICS_TOKEN: ${METRICS_TOKEN:-}",
        "      METRICS_TOKEN: plain-text-token",
    )
    baked = lint.check_no_baked_secrets()
    assert any("service.Dockerfile" in p and "SERVICE_TOKEN" in p for p in baked)
    assert any("compose.yaml service: METRICS_TOKEN" in p for p in baked)
    assert any("ORDER_SERVICE_TOKEN is a secret" in p for p in lint.check_kubernetes_policy())


def test_the_help_desk_secrets_file_of_compose_must_be_one_git_ignores(copy: Path) -> None:
    edit(copy / ".gitignore", "deploy/helpdesk.env\n", "")
    (problem,) = lint.check_no_baked_secrets()
    assert problem == (
        "compose.yaml service: env_file ./helpdesk.env: list deploy/helpdesk.env in .gitignore"
    )


def test_haproxy_must_balance_rasa_as_the_launcher_does_and_the_configmap_follow(
    copy: Path,
) -> None:
    edit(
        copy / "deploy" / "haproxy" / "haproxy.cfg",
        "balance hdr(X-Conversation-Id)",
        "balance roundrobin",
    )
    problems = lint.check_haproxy_design()
    assert any("backend rasa_replicas" in p for p in problems)
    assert any("ConfigMap's haproxy.cfg differs" in p for p in problems)
    lint.sync_haproxy_configmap()  # --sync-haproxy: the ConfigMap follows the file
    assert not any("ConfigMap" in p for p in lint.check_haproxy_design())


@pytest.mark.skipif(shutil.which("haproxy", path="/usr/sbin:/usr/bin") is None, reason="no haproxy")
def test_an_invalid_haproxy_directive_fails_haproxy_c(copy: Path) -> None:
    edit(
        copy / "deploy" / "haproxy" / "haproxy.cfg", "    option redispatch", "    option redispach"
    )
    (problem,) = lint.check_haproxy_syntax()
    assert "redispach" in problem


def test_rasa_endpoints_must_follow_bot_endpoints(copy: Path) -> None:
    edit(copy / "bot" / "endpoints.yml", "use_ssl: false", "use_ssl: true")
    (problem,) = lint.check_rasa_endpoints()
    assert "differs from bot/endpoints.yml" in problem


def test_a_new_requirement_must_be_pinned_in_the_image_constraints(copy: Path) -> None:
    edit(
        copy / "pyproject.toml",
        '    "aiohttp>=3.14.3",',
        '    "aiohttp>=3.14.3",\n    "left-pad>=1",',
    )
    edit(copy / "pyproject.toml", '    "rasa==3.6.21",', '    "rasa==3.6.20",')
    problems = lint.check_constraints()
    assert any("service.constraints.txt: left-pad is not pinned" in p for p in problems)
    assert any("bot.constraints.txt: rasa==3.6.21 does not satisfy" in p for p in problems)


def test_a_manifest_missing_from_the_kustomization_fails(copy: Path) -> None:
    shutil.copy(
        copy / "deploy" / "kubernetes" / "rasa.yaml", copy / "deploy" / "kubernetes" / "extra.yaml"
    )
    (problem,) = lint.check_kustomization()
    assert "extra.yaml" in problem

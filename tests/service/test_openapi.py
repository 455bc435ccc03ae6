"""docs/openapi.yaml describes exactly the routes the app serves, and describes them fully."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from handoff.vocabulary import CONVERSATION_STATES, TAKEOVER_OUTCOMES, TICKET_STATUSES
from service.app import create_app
from service.settings import PROJECT_ROOT, Settings
from tests.conftest import TOKEN

DOCUMENT = PROJECT_ROOT / "docs" / "openapi.yaml"
METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return loaded


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def test_every_route_is_documented_and_every_documented_route_exists(document) -> None:  # type: ignore[no-untyped-def]
    app = create_app(Settings.from_env({"SERVICE_TOKEN": TOKEN}))
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    documented = {(method, path) for method, path, _ in operations(document)}
    assert served - documented == set(), "routes missing from docs/openapi.yaml"
    assert documented - served == set(), "documented routes the app does not serve"


def test_each_operation_names_its_parameters_auth_and_answers(document) -> None:  # type: ignore[no-untyped-def]
    assert document["openapi"].startswith("3.")
    assert set(document["components"]["securitySchemes"]) == {"serviceToken", "agentToken"}
    for method, path, operation in operations(document):
        where = f"{method} {path}"
        declared = {p["name"] for p in operation.get("parameters", []) if "name" in p}
        declared |= {
            resolve(document, p["$ref"])["name"]
            for p in operation.get("parameters", [])
            if "$ref" in p
        }
        assert set(re.findall(r"{(\w+)}", path)) <= declared, where
        assert any(code.startswith("2") for code in operation["responses"]), where
        security = operation.get("security", document["security"])
        if path.startswith("/agent/"):
            assert security == [{"agentToken": []}], where
            assert "401" in operation["responses"], where
            if path.startswith("/agent/tickets"):  # other teams' tickets are refused
                assert "403" in operation["responses"], where
        elif not path.startswith("/health"):  # the health checks need no token
            assert security == [{"serviceToken": []}], where


def test_every_reference_resolves(document) -> None:  # type: ignore[no-untyped-def]
    for reference in references(document):
        if reference.startswith("#/"):
            assert resolve(document, reference) is not None, reference
        else:
            assert (DOCUMENT.parent / reference).is_file(), reference


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def resolve(document: dict[str, Any], reference: str) -> Any:
    node: Any = document
    for part in reference.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_each_operation_documents_the_errors_of_its_input(document) -> None:  # type: ignore[no-untyped-def]
    """The answers service/request_parsing.py and the middlewares give: a body can be refused
    (400) or too large (413), a path parameter malformed (400); the agent API's token check
    reads Redis (503)."""
    for method, path, operation in operations(document):
        where = f"{method} {path}"
        responses = operation["responses"]
        if "requestBody" in operation:
            assert {"400", "413"} <= set(responses), where
        if "{" in path:
            assert "400" in responses, where
        if path.startswith("/agent/"):
            assert "503" in responses, where


def test_the_enums_are_the_vocabulary(document) -> None:  # type: ignore[no-untyped-def]
    """The spec's statuses, states and takeover outcomes are handoff/vocabulary.py's, in order."""
    schemas = document["components"]["schemas"]
    assert tuple(schemas["TicketStatus"]["enum"]) == TICKET_STATUSES
    assert tuple(schemas["ConversationStateName"]["enum"]) == CONVERSATION_STATES
    assert tuple(schemas["Takeover"]["properties"]["outcome"]["enum"]) == (
        *TAKEOVER_OUTCOMES,
        None,
    )

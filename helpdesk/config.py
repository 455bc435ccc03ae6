"""Which help desks get a team's ticket events (the `helpdesk` section of routing.yml) and how
hard delivery tries (HELPDESK_* settings). Pure but for reading the environment mapping it is
given; handoff/routing/config.py calls `parse_helpdesk` so one start-up error lists every
problem of the routing file.

    helpdesk:
      targets:
        billing-zendesk:                      # the target's name (consumer group, dead letters)
          kind: zendesk                       # zendesk | chatwoot | webhook
          teams: [billing, orders]            # whose tickets it receives
          url: https://acme.zendesk.com       # webhook: the full URL; others: the desk's base
          email_env: HELPDESK_ZENDESK_EMAIL   # zendesk: the API user's email
          token_env: HELPDESK_ZENDESK_TOKEN   # zendesk: API token; chatwoot: api_access_token
          custom_fields: {escalation_reason: 360001, escalation_type: 360002}   # zendesk
          # chatwoot: account_id, inbox_id (an API channel inbox), contact_id (optional)
          # webhook: secret_env: HELPDESK_WEBHOOK_SECRET (the HMAC key, at least 24 characters)

Secrets are never in the file: it names environment variables, which must start with
`HELPDESK_` (the service keeps only those: helpdesk/settings.py reads them once at start-up).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from handoff.routing.config import RoutingConfigError
from infra.config_checks import Checker

TARGET_KINDS = ("zendesk", "chatwoot", "webhook")
SECRET_PREFIX = "HELPDESK_"
MIN_WEBHOOK_SECRET = 24
CUSTOM_FIELDS = ("escalation_reason", "escalation_type", "team", "priority", "conversation_id")
"""Ticket facts a Zendesk custom field may carry (the brief's two first)."""
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
SECRET_ROLES = {"zendesk": ("email_env", "token_env"), "chatwoot": ("token_env",)}
SECRET_ROLES["webhook"] = ("secret_env",)
KIND_SETTINGS = {
    "zendesk": ("custom_fields",),
    "chatwoot": ("account_id", "inbox_id", "contact_id"),
    "webhook": (),
}


@dataclass(frozen=True)
class Target:
    name: str
    kind: str
    url: str
    teams: tuple[str, ...]
    secret_envs: Mapping[str, str]
    """Role (email_env, token_env, secret_env) -> the environment variable holding it."""
    custom_fields: Mapping[str, int] = field(default_factory=dict)
    account_id: int = 0
    inbox_id: int = 0
    contact_id: int | None = None


@dataclass(frozen=True)
class HelpdeskConfig:
    targets: tuple[Target, ...] = ()

    @property
    def teams(self) -> frozenset[str]:
        """Teams with at least one target: only their writes are enqueued."""
        return frozenset(team for target in self.targets for team in target.teams)

    def target(self, name: str) -> Target:
        for target in self.targets:
            if target.name == name:
                return target
        raise LookupError(f"no help-desk target {name!r}")


@dataclass(frozen=True)
class DeliverySettings:
    """How hard delivery tries: attempt n+1 comes `retry_seconds * 2**(n-1)` (at most
    `max_retry_seconds`) after attempt n; after `max_attempts` the event is dead-lettered."""

    max_attempts: int = 10
    retry_seconds: float = 5.0
    max_retry_seconds: float = 900.0
    timeout_seconds: float = 10.0
    block_seconds: float = 1.0
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The environment's HELPDESK_* variables, where the targets' secrets are found."""

    def retry_after(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt."""
        return min(self.retry_seconds * 2 ** max(attempts - 1, 0), self.max_retry_seconds)


class MissingSecret(ValueError):
    """A target's secret is not in the environment; the message names every one missing."""


def credentials(target: Target, secrets: Mapping[str, str]) -> dict[str, str]:
    """Role -> secret value for one target, from the HELPDESK_* environment."""
    found = {role: secrets.get(env, "") for role, env in target.secret_envs.items()}
    missing = [target.secret_envs[role] for role, value in found.items() if not value]
    if missing:
        raise MissingSecret(f"help-desk target {target.name}: set {', '.join(missing)}")
    secret = found.get("secret_env", "")
    if secret and len(secret) < MIN_WEBHOOK_SECRET:
        raise MissingSecret(
            f"help-desk target {target.name}: {target.secret_envs['secret_env']} must be at "
            f"least {MIN_WEBHOOK_SECRET} characters"
        )
    return found


def parse_helpdesk_config(document: Mapping, teams: Collection[str]) -> HelpdeskConfig:
    """The help desks of a parsed routing.yml (its `helpdesk` section; the rest is the routing's,
    handoff/routing/config.py), checked against the file's `teams`; raises RoutingConfigError
    listing every problem of the section."""
    check = Checker("routing config", RoutingConfigError)
    config = parse_helpdesk(check, check.mapping(document.get("helpdesk") or {}, "helpdesk"), teams)
    check.raise_problems()
    return config


def parse_helpdesk(check: Checker, section: Mapping, teams: Collection[str]) -> HelpdeskConfig:
    """The `helpdesk` section of routing.yml (absent: no targets); problems go to `check`."""
    check.known(section, ("targets",), "helpdesk.")
    raw_targets = section.get("targets") or {}
    targets = check.mapping(raw_targets, "helpdesk.targets") if raw_targets else {}
    return HelpdeskConfig(
        tuple(_target(check, str(name), raw, teams) for name, raw in targets.items())
    )


def _target(check: Checker, name: str, raw: object, teams: Collection[str]) -> Target:
    where = f"helpdesk.targets.{name}"
    spec = check.mapping(raw, where)
    if not NAME.match(name):
        check.add(f"{where}: a target name is lower case letters, digits, - and _")
    kind = check.choice(spec.get("kind"), f"{where}.kind", TARGET_KINDS, "webhook")
    common = ("kind", "teams", "url", *SECRET_ROLES[kind], *KIND_SETTINGS[kind])
    check.known(spec, common, f"{where}.")
    url = check.text(spec.get("url"), f"{where}.url").rstrip("/")
    if url and (urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc):
        check.add(f"{where}.url={url!r} must be an http(s) address")
    target_teams = check.texts(spec.get("teams"), f"{where}.teams", required=True)
    for team in target_teams:
        if team not in teams:
            check.add(f"{where}.teams: {team!r} is not a team ({', '.join(sorted(teams))})")
    envs = {role: check.text(spec.get(role), f"{where}.{role}") for role in SECRET_ROLES[kind]}
    for role, env in envs.items():
        if env and not env.startswith(SECRET_PREFIX):
            check.add(f"{where}.{role}={env!r} must name a variable starting with HELPDESK_")
    custom_fields: dict[str, int] = {}
    for fact, field_id in check.mapping(
        spec.get("custom_fields") or {}, f"{where}.custom_fields"
    ).items():
        if fact not in CUSTOM_FIELDS:
            check.add(f"{where}.custom_fields.{fact} is not one of {', '.join(CUSTOM_FIELDS)}")
        custom_fields[str(fact)] = check.whole(field_id, f"{where}.custom_fields.{fact}", 1, 2**63)
    ids = {
        key: check.whole(spec.get(key), f"{where}.{key}", 1, 2**63)
        for key in ("account_id", "inbox_id")
        if kind == "chatwoot"
    }
    contact = spec.get("contact_id")
    return Target(
        name=name,
        kind=kind,
        url=url,
        teams=tuple(target_teams),
        secret_envs=envs,
        custom_fields=custom_fields,
        account_id=ids.get("account_id", 0),
        inbox_id=ids.get("inbox_id", 0),
        contact_id=None
        if contact is None
        else check.whole(contact, f"{where}.contact_id", 1, 2**63),
    )

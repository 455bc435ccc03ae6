from __future__ import annotations

from pathlib import Path

import pytest

from infra.env import SettingsError
from service.settings import Settings
from stack.config import StackConfig, StackConfigError


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "SERVICE_TOKEN": "short",
                "SERVICE_PORT": "http",
                "KB_ANSWER_THRESHOLD": "2",
                "REDIS_URL": "localhost:6379",
                "KB_PRODUCTS_FILE": "/nowhere/products.yml",
                "KB_EMBEDDING_RUNTIME": "tensorrt",
            }
        )
    message = str(caught.value)
    for name in (
        "SERVICE_TOKEN",
        "SERVICE_PORT",
        "KB_ANSWER_THRESHOLD",
        "REDIS_URL",
        "KB_PRODUCTS_FILE",
        "KB_EMBEDDING_RUNTIME",
    ):
        assert name in message


def test_defaults_listen_on_loopback_only() -> None:
    settings = Settings.from_env({"SERVICE_TOKEN": "t" * 32})
    assert settings.host == "127.0.0.1"
    assert (settings.answer_threshold, settings.tentative_threshold) == (0.56, 0.47)


def test_a_tentative_threshold_above_the_answer_threshold_is_refused() -> None:
    with pytest.raises(SettingsError, match="KB_TENTATIVE_THRESHOLD=0.7 must not be above"):
        Settings.from_env(
            {
                "SERVICE_TOKEN": "t" * 32,
                "KB_ANSWER_THRESHOLD": "0.6",
                "KB_TENTATIVE_THRESHOLD": "0.7",
            }
        )
    # a company that lowers the answer threshold gets no band rather than an error
    lowered = Settings.from_env({"SERVICE_TOKEN": "t" * 32, "KB_ANSWER_THRESHOLD": "0.4"})
    assert (lowered.answer_threshold, lowered.tentative_threshold) == (0.4, 0.4)


def test_handoff_settings_are_validated_with_the_rest() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "SERVICE_TOKEN": "t" * 32,
                "HANDOFF_RETENTION_DAYS": "0",
                "SLA_WATCHDOG_INTERVAL": "soon",
                "AGENTS_FILE": "/nowhere/agents.yml",
                "HANDOFF_REQUEUE_AFTER_SECONDS": "-1",
            }
        )
    message = str(caught.value)
    names = ("HANDOFF_RETENTION_DAYS", "SLA_WATCHDOG_INTERVAL", "AGENTS_FILE")
    for name in (*names, "HANDOFF_REQUEUE_AFTER_SECONDS"):
        assert name in message
    defaults = Settings.from_env({"SERVICE_TOKEN": "t" * 32})
    assert (defaults.handoff_retention_days, defaults.sla_watchdog_interval) == (90, 5.0)
    assert defaults.handoff_requeue_after_seconds == 120.0
    never = Settings.from_env({"SERVICE_TOKEN": "t" * 32, "HANDOFF_REQUEUE_AFTER_SECONDS": "0"})
    assert never.handoff_requeue_after_seconds == 0.0
    assert defaults.agents_file.name == "agents.yml"


def test_the_stack_lists_every_bad_port_and_redis_url_at_once(tmp_path: Path) -> None:
    with pytest.raises(StackConfigError) as caught:
        StackConfig.from_env(
            {"SERVICE_PORT": "http", "RASA_PORT": "0", "REDIS_URL": "localhost:6379"},
            var_dir=tmp_path,
        )
    message = str(caught.value)
    assert message.startswith("invalid stack settings:")
    for name in ("SERVICE_PORT", "RASA_PORT", "REDIS_URL"):
        assert name in message
    assert isinstance(caught.value, SettingsError)


def test_the_shop_connector_is_chosen_by_settings_and_checked() -> None:
    base = {"SERVICE_TOKEN": "t" * 32}
    assert Settings.from_env(base).shop is None  # no shop: the order routes answer 503
    sample = Settings.from_env(
        base | {"ORDER_SERVICE_URL": "http://127.0.0.1:8500", "ORDER_SERVICE_TOKEN": "o" * 30}
    ).shop
    assert sample is not None and (sample.connector, sample.url) == (
        "order_service",
        "http://127.0.0.1:8500",
    )
    shopify = {
        "SHOP_CONNECTOR": "shopify",
        "SHOPIFY_SHOP": "halo-home.myshopify.com",
        "SHOPIFY_ACCESS_TOKEN": "shpat_" + "a" * 32,
    }
    shop = Settings.from_env(base | shopify).shop
    assert shop is not None
    assert (shop.connector, shop.shop_domain, shop.api_version) == (
        "shopify",
        "halo-home.myshopify.com",
        "2025-01",
    )
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(base | {"SHOP_CONNECTOR": "shopify", "SHOPIFY_API_VERSION": "latest"})
    assert "SHOPIFY_SHOP" in str(caught.value) and "SHOPIFY_API_VERSION" in str(caught.value)
    with pytest.raises(SettingsError, match="SHOP_CONNECTOR='magento' must be one of"):
        Settings.from_env(base | {"SHOP_CONNECTOR": "magento"})

"""`make run` starts the sample shop's order service and points the service at it with a token
generated once per checkout; a company's own shop (ORDER_SERVICE_URL) replaces it."""

from __future__ import annotations

from pathlib import Path

import pytest

from stack.config import StackConfig, StackConfigError
from stack.processes import public_stack_specs, stack_specs


def _spec(config: StackConfig, name: str):  # type: ignore[no-untyped-def]
    return next(spec for spec in public_stack_specs(config) if spec.name == name)


def test_the_sample_shop_starts_before_the_service_with_a_token_of_its_own(tmp_path: Path) -> None:
    config = StackConfig.from_env({"ORDER_SERVICE_PORT": "8611"}, var_dir=tmp_path)
    names = [spec.name for spec in stack_specs(config)]
    assert names.index("orders") < names.index("service")
    orders, service = _spec(config, "orders"), _spec(config, "service")
    token = (tmp_path / "secrets" / "order_service_token").read_text()
    assert len(token) >= 24 and token != config.service_token
    assert orders.env["ORDER_SERVICE_TOKEN"] == service.env["ORDER_SERVICE_TOKEN"] == token
    assert orders.env["ORDER_SERVICE_PORT"] == "8611"
    assert orders.env["ORDER_SERVICE_DB"] == str(tmp_path / "order-service" / "orders.sqlite3")
    assert service.env["ORDER_SERVICE_URL"] == "http://127.0.0.1:8611"
    assert orders.health_url == "http://127.0.0.1:8611/health"
    again = StackConfig.from_env({}, var_dir=tmp_path)
    assert again.order_service_token == token  # kept across starts, like the service token


def test_a_companys_own_shop_replaces_the_sample(tmp_path: Path) -> None:
    env = {"ORDER_SERVICE_URL": "https://shop.example/api", "ORDER_SERVICE_TOKEN": "t" * 30}
    config = StackConfig.from_env(env, var_dir=tmp_path)
    assert "orders" not in [spec.name for spec in public_stack_specs(config)]
    service = _spec(config, "service")
    assert service.env["ORDER_SERVICE_URL"] == "https://shop.example/api"
    assert service.env["ORDER_SERVICE_TOKEN"] == "t" * 30
    with pytest.raises(StackConfigError, match="ORDER_SERVICE_URL needs ORDER_SERVICE_TOKEN"):
        StackConfig.from_env({"ORDER_SERVICE_URL": "https://shop.example/api"}, var_dir=tmp_path)


def test_a_shopify_store_replaces_the_sample_and_its_settings_reach_the_service(
    tmp_path: Path,
) -> None:
    token = "shpat_" + "a" * 32
    env = {"SHOP_CONNECTOR": "shopify", "SHOPIFY_SHOP": "halo-home", "SHOPIFY_ACCESS_TOKEN": token}
    config = StackConfig.from_env(env, var_dir=tmp_path)
    assert "orders" not in [spec.name for spec in public_stack_specs(config)]
    service = _spec(config, "service")
    assert service.env["SHOP_CONNECTOR"] == "shopify"
    assert (service.env["SHOPIFY_SHOP"], service.env["SHOPIFY_ACCESS_TOKEN"]) == (
        "halo-home",
        token,
    )
    assert "ORDER_SERVICE_URL" not in service.env  # no sample shop to point at

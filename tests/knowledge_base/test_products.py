"""The shop's products and their nicknames (knowledge_base/products.py, products.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base.follow_up import leans_on_context
from knowledge_base.products import NO_PRODUCTS, ProductsError, load_products, parse_products


def test_the_sample_shop_names_its_products_by_their_nicknames() -> None:
    products = load_products()
    assert products.named_in("my cam keeps dropping") == "Sentinel Cam"
    assert products.named_in("the doorbell and the camera") == "Sentinel Doorbell"  # first named
    assert products.named_in("Delivery options, costs and times") is None
    assert products.swap("Sentinel Cam is offline", "Sentinel Cam", "Sentinel Doorbell") == (
        "Sentinel Doorbell is offline"
    )


def test_another_shop_lists_its_own_products() -> None:
    products = parse_products({"products": {"Aero Kettle": ["kettle", "Kettles"]}})
    assert products.words == {"Aero Kettle": ("aero kettle", "kettle", "kettles")}
    assert products.named_in("my KETTLE whistles") == "Aero Kettle"
    assert products.named_in("my cam keeps dropping") is None
    # a question naming a product says what it is about: it does not lean on the last answer
    assert not leans_on_context("kettle price?", products)
    assert leans_on_context("kettle price?", NO_PRODUCTS)


def test_every_problem_of_a_bad_file_is_listed_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "products.yml"
    path.write_text('products:\n  Cam: []\n  Hub: "hub"\n  Plug: ["' + "x" * 61 + '"]\nextra: 1\n')
    with pytest.raises(ProductsError) as raised:
        load_products(path)
    message = str(raised.value)
    assert str(path) in message
    for problem in (
        "extra is not a known setting",
        "products.Cam must not be empty",
        "products.Hub='hub' must be a list",
        "is over 60 characters",
    ):
        assert problem in message


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProductsError, match="cannot read products file"):
        load_products(tmp_path / "nowhere.yml")

"""The shop the order desk asks, made from the settings (SHOP_CONNECTOR): the sample business's
order service or a Shopify store. A company with another shop adds its connector here, next to
these two (commerce/connector.py is the interface)."""

from __future__ import annotations

from commerce.connector import ShopConnector
from commerce.order_service_connector import OrderServiceConnector
from commerce.shopify_connector import ShopifyConnector
from service.settings import ShopSettings


def shop_connector(shop: ShopSettings) -> ShopConnector:
    if shop.connector == "shopify":
        return ShopifyConnector(
            shop.shop_domain, shop.token, api_version=shop.api_version, base_url=shop.url or None
        )
    return OrderServiceConnector(shop.url, shop.token)

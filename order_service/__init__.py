"""Hearthly's own order system: the sample business's shop, which the assistant reaches only
through a connector, as it would a real company's shop.

A real SQLite database (aiosqlite) behind a small REST API (aiohttp) with its own bearer token:
`schema.py` (tables), `catalog.py` (products and prices), `seed.py` (the sample orders),
`records.py` (what an order is), `store.py` (queries and the shop's own rules), `loading.py`
(reading an order), `app.py` (routes and middlewares), `views.py` (handlers), `parsing.py`
(request checks), `settings.py` and `__main__.py` (`python -m order_service`).

It stands for the company's shop, so it imports none of the product's packages (import-linter's
`order-service-apart` contract); `infra` helpers only. docs/order-service.md describes the API.
"""

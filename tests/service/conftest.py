"""The order tests' fixtures (tests/service/order_fixtures.py), for the modules of this folder
that ask for them by name; a module's own fixture of the same name wins."""

from tests.service.order_fixtures import (  # noqa: F401 - fixtures, found by pytest by name
    service,
    service_env,
    shop_server,
    shop_url,
)

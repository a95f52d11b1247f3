"""The deploy recipe needs both kinds of real parts: server processes and a browser."""

from tests.browser.conftest import browser  # noqa: F401 (a fixture)
from tests.integration.conftest import private_redis, start_cluster  # noqa: F401 (fixtures)

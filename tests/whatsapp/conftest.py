"""The `live` fixture for every test in this directory (test_public_api.py uses it too); its
code and the helpers live in wa_support.py, which tests import by its own name."""

from tests.whatsapp.wa_support import live  # noqa: F401 - re-exported fixture

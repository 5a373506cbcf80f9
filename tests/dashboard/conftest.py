"""Dashboard tests call Reflex states as a browser tab would (tests/accounts/accounts_support.py),
against the real API app with the in-process sandbox (`live`, tests/whatsapp/wa_support.py)."""

# Every state registered now, in the main context, like the served app (see tests/accounts/conftest.py).
import livchat.livchat  # noqa: F401

"""Test-panel state tests call Reflex states as a tab would (tests/accounts/accounts_support.py)."""

# Every state registered now, in the main context, like the served app (see tests/accounts/conftest.py).
import livchat.livchat  # noqa: F401

"""LivChat: WhatsApp API and AI support desk."""

from importlib.metadata import PackageNotFoundError, version

try:  # one source of truth: pyproject.toml
    __version__ = version("livchat")
except PackageNotFoundError:  # running from a tree that was never installed
    __version__ = "0.0.0+unknown"

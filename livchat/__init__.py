"""LivChat: WhatsApp API and AI support desk."""

__version__ = "0.1.0"

"""The Reflex app: pages, the FastAPI routes (api_transformer) and the outer middleware."""

from __future__ import annotations

import importlib

import reflex as rx

from livchat.api.app import create_api
from livchat.api.middleware import SecurityHeadersMiddleware
from livchat.components.i18n import DOCUMENT_META_SCRIPT
from livchat.core.error_reporting import init_error_reporting
from livchat.core.logging import configure_logging
from livchat.core.settings import get_settings
from livchat.i18n import translate
from livchat.pages import dashboard
from livchat.pages.landing import landing
from livchat.pages.not_found import not_found
from livchat.pages.sign_in import sign_in
from livchat.sandbox.install import sandbox_lifespan
from livchat.services import idempotency
from livchat.services.knowledge.ingestion import knowledge_lifespan
from livchat.services.support.responder import responder_lifespan
from livchat.services.support.whatsapp_channel import whatsapp_channel_lifespan
from livchat.services.webhooks.dispatcher import dispatcher_lifespan
from livchat.services.whatsapp import instances
from livchat.services.whatsapp.queue_ingest import queue_ingest_lifespan
from livchat.state.support_feeds import support_feed_lifespan

configure_logging(get_settings().log_level)
init_error_reporting()

app = rx.App(
    api_transformer=[create_api(), SecurityHeadersMiddleware],
    head_components=[rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
                     rx.script(DOCUMENT_META_SCRIPT)],
)

# Background work of the served app: webhook deliveries, and WuzAPI's RabbitMQ queue when
# AMQP_URL is set. Each runs once per worker; the dispatcher is safe with several (SKIP LOCKED).
app.register_lifespan_task(dispatcher_lifespan)
app.register_lifespan_task(queue_ingest_lifespan)
app.register_lifespan_task(sandbox_lifespan)  # the in-process sandbox's QR rotation, from startup
app.register_lifespan_task(idempotency.purge_lifespan)  # expired Idempotency-Keys, hourly
app.register_lifespan_task(instances.sweep_lifespan)  # instances whose create a crash cut short
app.register_lifespan_task(responder_lifespan)  # who answers a contact first: the AI agent (services/agent)
app.register_lifespan_task(whatsapp_channel_lifespan)  # numbers with "AI answers this number" feed the inbox
app.register_lifespan_task(support_feed_lifespan)  # the inbox and conversation feeds, moved by the bus
# Knowledge base: warms the embedder, re-indexes after an embedder change, ingests uploads.
app.register_lifespan_task(knowledge_lifespan)

app.add_page(landing, route="/", title="LivChat — WhatsApp API and AI support")
app.add_page(sign_in, route="/sign-in", title="LivChat — Sign in")
app.add_page(not_found, route="404", title="LivChat — Page not found")

# Domains with pages of their own expose `register(app)`; a section registered here replaces
# the dashboard placeholder of the same route.
PAGE_MODULES: list[str] = ["livchat.pages.sandbox_phone", "livchat.pages.auth", "livchat.pages.instances"]
_taken: set[str] = set()
for _module_name in PAGE_MODULES:
    _taken |= set(importlib.import_module(_module_name).register(app) or [])
for section, page in dashboard.pages():
    if section.route not in _taken:
        app.add_page(page, route=section.route, title=f"LivChat — {translate(section.label_key)}")

"""The Reflex app: pages, the FastAPI routes (api_transformer) and the outer middleware."""

from __future__ import annotations

import reflex as rx

from livchat.api.app import create_api
from livchat.api.middleware import SecurityHeadersMiddleware
from livchat.components.i18n import DOCUMENT_META_SCRIPT
from livchat.core.error_reporting import init_error_reporting
from livchat.core.logging import configure_logging
from livchat.core.settings import get_settings
from livchat.pages import (
    api_keys,
    auth,
    billing,
    dashboard,
    inbox,
    instances,
    keep_connection,
    knowledge,
    landing,
    members,
    not_found,
    pricing,
    sandbox_phone,
    sign_in,
    usage,
    voice,
    webhooks,
    widget,
    widget_settings,
)
from livchat.sandbox.install import sandbox_lifespan
from livchat.services import idempotency
from livchat.services.billing.plans import grace_lifespan
from livchat.services.knowledge.ingestion import knowledge_lifespan
from livchat.services.notifications.sender import email_sender_lifespan
from livchat.services.support.responder import responder_lifespan
from livchat.services.support.whatsapp_channel import whatsapp_channel_lifespan
from livchat.services.webhooks.dispatcher import dispatcher_lifespan
from livchat.services.whatsapp.instances import sweep_lifespan
from livchat.services.whatsapp.queue_ingest import queue_ingest_lifespan
from livchat.state.feeds import feed_lifespan
from livchat.state.knowledge_feed import knowledge_feed_lifespan
from livchat.state.support_feeds import support_feed_lifespan
from livchat.state.test_panel import panel_feed_lifespan

configure_logging(get_settings().log_level)
init_error_reporting()

app = rx.App(
    api_transformer=[create_api(), SecurityHeadersMiddleware],
    head_components=[rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
                     rx.script(DOCUMENT_META_SCRIPT), rx.el.script(widget.bridge_head_script())],
    stylesheets=["/livchat.css"],
)

# Background work of the served app: webhook deliveries, and WuzAPI's RabbitMQ queue when
# AMQP_URL is set. Each runs once per worker; the dispatcher is safe with several (SKIP LOCKED).
app.register_lifespan_task(dispatcher_lifespan)
app.register_lifespan_task(queue_ingest_lifespan)
app.register_lifespan_task(sandbox_lifespan)  # the in-process sandbox's QR rotation, from startup
app.register_lifespan_task(idempotency.purge_lifespan)  # expired Idempotency-Keys, hourly
app.register_lifespan_task(sweep_lifespan)  # instances whose create a crash cut short
app.register_lifespan_task(feed_lifespan)  # domain events -> the dashboards' live feeds
app.register_lifespan_task(responder_lifespan)  # who answers a contact first: the AI agent (services/agent)
app.register_lifespan_task(whatsapp_channel_lifespan)  # numbers with "AI answers this number" feed the inbox
app.register_lifespan_task(support_feed_lifespan)  # the inbox and conversation feeds, moved by the bus
app.register_lifespan_task(panel_feed_lifespan)  # the landing test panels' live feeds, moved by the bus
app.register_lifespan_task(email_sender_lifespan)  # with BREVO_API_KEY: the email outbox, sent through Brevo
app.register_lifespan_task(grace_lifespan)  # past-due subscriptions whose grace ended: Free limits
# Knowledge base: warms the embedder, re-indexes after an embedder change, ingests uploads.
app.register_lifespan_task(knowledge_lifespan)
app.register_lifespan_task(knowledge_feed_lifespan)  # ingestion progress -> the knowledge page's feed

# Each page module registers its own pages and returns their routes. A dashboard section whose
# route a module took replaces that section's placeholder; the others stay placeholders.
PAGE_MODULES = [landing, pricing, keep_connection, sign_in, auth, sandbox_phone, not_found, instances, webhooks, usage,
                api_keys, members, inbox, widget_settings, knowledge, widget, billing,
                voice]
_taken = [route for module in PAGE_MODULES for route in module.register(app)]
dashboard.register(app, _taken)

import reflex as rx

from livchat.core.settings import get_settings

_settings = get_settings()

config = rx.Config(
    app_name="livchat",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Reflex allows `*` (with credentials) by default, and the session cookie rides the websocket
    # handshake: only our own pages may open it.
    cors_allowed_origins=[_settings.public_origin],
    # Behind N reverse proxies the client's address is the Nth from the right in X-Forwarded-For.
    trusted_proxy_hops=_settings.trusted_proxy_hops,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="teal", gray_color="slate", radius="medium", appearance="inherit")
        ),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)

import reflex as rx

from livchat.core.settings import get_settings

_settings = get_settings()

# Reflex's own per-tab state. Our data lives in the database, so by default Reflex keeps tabs in
# memory (its default disk manager rescans `.states/` and saturates a core at a few hundred
# clients: ../shared/notes/reflex-capacity.md). With REDIS_URL, tabs live in Redis instead, which
# lets Reflex start several workers and relay feed pushes to whichever worker holds a socket.
STATE_MANAGER = ({"redis_url": _settings.redis_url} if _settings.redis_url
                 else {"state_manager_mode": rx.constants.StateManagerMode.MEMORY})

config = rx.Config(
    app_name="livchat",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Reflex allows `*` (with credentials) by default, and the session cookie rides the websocket
    # handshake: only our own pages may open it — PUBLIC_URL's origin, and with a loopback
    # PUBLIC_URL (the embedded default) its twin too: localhost and 127.0.0.1 both work.
    cors_allowed_origins=_settings.browser_origins,
    # Behind N reverse proxies the client's address is the Nth from the right in X-Forwarded-For.
    trusted_proxy_hops=_settings.trusted_proxy_hops,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="teal", gray_color="slate", radius="medium", appearance="inherit")
        ),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
    **STATE_MANAGER,
)

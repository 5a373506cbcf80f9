import reflex as rx

config = rx.Config(
    app_name="livchat",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="teal", gray_color="slate", radius="medium", appearance="inherit")
        ),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)

"""The landing page's code samples: sending a message and checking a webhook signature, in
curl/openssl, Python and JavaScript, each copyable. They are the code /docs shows (the verify
functions are the same text; tests/test_panel/test_code_samples.py runs every sample against the
real API and our real signatures, so neither can drift)."""

from __future__ import annotations

import reflex as rx

from livchat.components.i18n import t
from livchat.core.settings import get_settings

SEND_CURL = """curl -X POST {url}/api/v1/instances/$INSTANCE_ID/messages \\
  -H "Authorization: Bearer $LIVCHAT_KEY" \\
  -H "Content-Type: application/json" \\
  -H "Idempotency-Key: order-1234" \\
  -d '{{"to": "+55 11 91234-5678", "type": "text", "text": "Hello from LivChat"}}'"""

SEND_PYTHON = """import os
import httpx  # pip install httpx

response = httpx.post(
    f"{url}/api/v1/instances/{{os.environ['INSTANCE_ID']}}/messages",
    headers={{"Authorization": f"Bearer {{os.environ['LIVCHAT_KEY']}}",
             "Idempotency-Key": "order-1234"}},  # retried with the same key: sent once
    json={{"to": "+55 11 91234-5678", "type": "text", "text": "Hello from LivChat"}},
)
response.raise_for_status()
print(response.json())  # {{"id": "msg_...", "whatsappMessageId": "...", "status": "sent", ...}}"""

SEND_JAVASCRIPT = """// Node 18+ (an ES module: top-level await)
const response = await fetch(
  `{url}/api/v1/instances/${{process.env.INSTANCE_ID}}/messages`,
  {{
    method: "POST",
    headers: {{
      Authorization: `Bearer ${{process.env.LIVCHAT_KEY}}`,
      "Content-Type": "application/json",
      "Idempotency-Key": "order-1234", // retried with the same key: sent once
    }},
    body: JSON.stringify({{ to: "+55 11 91234-5678", type: "text", text: "Hello from LivChat" }}),
  }},
);
if (!response.ok) throw new Error(await response.text());
console.log(await response.json()); // {{ id: "msg_...", status: "sent", ... }}"""

VERIFY_SHELL = """# body.json: the raw request body, byte for byte; the two ids from the headers
SECRET='whsec_...'  # your endpoint's signing secret
WEBHOOK_ID='evt_...'; WEBHOOK_TIMESTAMP='1767225600'
KEY=$(printf '%s' "${SECRET#whsec_}" | base64 -d | od -An -tx1 | tr -d ' \\n')
printf '%s.%s.' "$WEBHOOK_ID" "$WEBHOOK_TIMESTAMP" | cat - body.json \\
  | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$KEY" -binary | base64
# equal to the part after "v1," in webhook-signature: it is ours, untouched"""

# The same text /docs shows (livchat/api/v1/docs.html).
VERIFY_PYTHON = """import base64, hashlib, hmac, time

def verify(secret: str, headers: dict, body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id, ts = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(ts)) > 300:
        return False
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, sig.split(",", 1)[1])
               for sig in headers["webhook-signature"].split() if sig.startswith("v1,"))"""

VERIFY_JAVASCRIPT = """import crypto from "node:crypto";

export function verify(secret, headers, rawBody) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const id = headers["webhook-id"], ts = headers["webhook-timestamp"];
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const expected = crypto.createHmac("sha256", key).update(`${id}.${ts}.`).update(rawBody).digest();
  return headers["webhook-signature"].split(" ").some((sig) => {
    const [version, value] = sig.split(",");
    const given = Buffer.from(value ?? "", "base64");
    return version === "v1" && given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
}"""


def send_samples(url: str) -> dict[str, str]:
    """The send in each language, against `url` (the server's public URL)."""
    base = url.rstrip("/")
    return {"curl": SEND_CURL.format(url=base), "python": SEND_PYTHON.format(url=base),
            "javascript": SEND_JAVASCRIPT.format(url=base)}


VERIFY_SAMPLES = {"shell": VERIFY_SHELL, "python": VERIFY_PYTHON, "javascript": VERIFY_JAVASCRIPT}
TAB_LABELS = {"curl": "curl", "shell": "openssl", "python": "Python", "javascript": "JavaScript"}


CODE = {"font_family": "var(--code-font-family, ui-monospace, Menlo, Consolas, monospace)", "font_size": "12.5px",
        "line_height": "1.55", "white_space": "pre", "overflow_x": "auto", "background": rx.color("gray", 3),
        "color": rx.color("gray", 12), "padding": "12px 14px", "border_radius": "8px", "margin": "0",
        "max_width": "100%"}


def _block(group: str, samples: dict[str, str]) -> rx.Component:
    """Tabs of one sample in each language; the copy button copies the tab shown."""
    from livchat.state.test_panel import PanelState

    def content(language: str, code: str) -> rx.Component:
        copied = f"{group}-{language}"
        return rx.tabs.content(
            rx.vstack(
                rx.button(rx.icon("copy", size=14, aria_hidden="true"),
                          rx.cond(PanelState.copied_what == copied, t("test_panel.copied"), t("landing.code.copy")),
                          on_click=[rx.set_clipboard(code), PanelState.copied(copied)], size="1", variant="soft",
                          id=f"copy-{copied}", aria_label=t("landing.code.copy_label"), align_self="end"),
                rx.el.pre(rx.el.code(code), class_name="sample-code", id=f"sample-{copied}", tab_index=0,
                          style=CODE, aria_label=TAB_LABELS[language]),
                spacing="2", padding_top="8px", width="100%",
            ),
            value=language,
        )

    return rx.tabs.root(
        rx.tabs.list(*[rx.tabs.trigger(TAB_LABELS[language], value=language, id=f"tab-{group}-{language}")
                       for language in samples]),
        *[content(language, code) for language, code in samples.items()],
        default_value=next(iter(samples)),
        width="100%",
    )


def code_samples() -> rx.Component:
    url = get_settings().public_url
    return rx.el.section(
        rx.vstack(
            rx.heading(t("landing.code.title"), as_="h2", size="7", id="code"),
            rx.text(t("landing.code.subtitle"), size="3", color_scheme="gray", as_="p", max_width="720px"),
            rx.grid(
                rx.card(rx.vstack(rx.heading(t("landing.code.send"), as_="h3", size="4"),
                                  _block("send", send_samples(url)), spacing="3", width="100%"), min_width="0"),
                rx.card(rx.vstack(rx.heading(t("landing.code.verify"), as_="h3", size="4"),
                                  rx.text(t("landing.code.verify_body"), size="2", color_scheme="gray", as_="p"),
                                  _block("verify", VERIFY_SAMPLES), spacing="3", width="100%"), min_width="0"),
                columns=rx.breakpoints(initial="1", lg="2"),
                gap="16px",
                width="100%",
            ),
            rx.link(t("landing.code.docs"), href="/docs", reload_document=True, id="code-docs-link", size="2"),
            spacing="4",
            width="100%",
        ),
        aria_labelledby="code",
        width="100%",
    )

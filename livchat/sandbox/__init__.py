"""A WuzAPI-compatible WhatsApp simulator (../shared/wuzapi-contract.md, CURRENT).

- `engine.Sandbox`: users, sessions, sends and the simulated phone (link, inbound, receipts,
  offline, logout) — the Python API the control routes and the /sandbox page both call.
- `wuzapi_routes` / `control` / `app`: the WuzAPI HTTP surface and the JSON control API.
- `store`: its own SQLite file (`SANDBOX_DB_PATH`, default data_dir/sandbox.db).
- `webhooks`: WuzAPI-style delivery (form or JSON, `x-hmac-signature`, 5 attempts).
- `config`: `SandboxConfig.from_settings()` and `gateway_endpoint()` (where the services find WuzAPI).
- `install` (in-process at /sandbox/wuzapi and /sandbox/control), `standalone` (`livchat sandbox`).

Settings (core/settings.py, so .env works): WUZAPI_ADMIN_TOKEN, WEBHOOK_FORMAT=json, WEBHOOK_RETRY_ENABLED, WEBHOOK_RETRY_COUNT,
WEBHOOK_RETRY_DELAY_SECONDS (base of the doubling waits, 30), SANDBOX_CONNECT_WAIT_SECONDS (10),
SANDBOX_QR_PERIOD_SECONDS (20), SANDBOX_DB_PATH.
"""

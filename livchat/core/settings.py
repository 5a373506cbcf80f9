"""Runtime configuration. Every variable has an embedded default so a fresh machine runs offline.

`.env.example` documents each one; keep the two in step.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    # The .env file is chosen in get_settings(), so tests can switch it off.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    public_url: str = "http://localhost:3000"
    data_dir: Path = Field(default=PROJECT_ROOT / "data", alias="LIVCHAT_DATA_DIR")
    database_url: str = ""  # empty: SQLite file in data_dir
    # PostgreSQL connections per process (kept + extra under load); every worker has its own pool.
    db_pool_size: int = Field(default=5, ge=1, le=100, alias="LIVCHAT_DB_POOL_SIZE")
    db_pool_overflow: int = Field(default=10, ge=0, le=200, alias="LIVCHAT_DB_POOL_OVERFLOW")
    redis_url: str = ""
    amqp_url: str = ""
    amqp_queue: str = "whatsapp_events"

    wuzapi_url: str = ""  # empty: the in-process sandbox at /sandbox/wuzapi
    wuzapi_admin_token: str = ""
    wuzapi_timeout_seconds: float = 15.0  # per WuzAPI call; a send that times out is never retried

    # The WuzAPI sandbox (WUZAPI_URL empty, or `livchat sandbox`); names follow WuzAPI's own.
    sandbox_db_path: str = ""  # empty: data_dir/sandbox.db
    webhook_format: str = "form"  # "json", anything else is form-encoded (WuzAPI's WEBHOOK_FORMAT)
    webhook_retry_enabled: bool = True
    webhook_retry_count: int = 5  # attempts in total
    webhook_retry_delay_seconds: float = 30.0  # first wait; then doubling
    sandbox_connect_wait_seconds: float = 10.0  # a connect without Immediate sleeps this long
    sandbox_qr_period_seconds: float = 20.0
    sandbox_allow_private_media: bool = False  # media URLs on private or loopback addresses

    openai_api_key: str = ""
    openai_base_url: str = ""
    openai_chat_model: str = "gpt-4o-mini"
    openai_embedding_model: str = "text-embedding-3-small"
    # Who answers a contact first (livchat/services/support/responder.py registry): auto (the AI
    # agent unless LIVCHAT_AGENT=off, else `default`), agent, default, or another registered name.
    support_responder: str = Field(default="auto", alias="LIVCHAT_SUPPORT_RESPONDER")
    # The AI support agent (services/agent): auto (openai when OPENAI_API_KEY is set, else the offline
    # extractive one), openai, extractive, or off.
    agent: str = Field(default="auto", alias="LIVCHAT_AGENT", pattern="^(auto|openai|extractive|off)$")
    agent_max_rounds: int = Field(default=4, ge=1, le=10, alias="LIVCHAT_AGENT_MAX_ROUNDS")
    agent_timeout_seconds: float = Field(default=45.0, gt=0, alias="LIVCHAT_AGENT_TIMEOUT_SECONDS")
    agent_concurrency: int = Field(default=4, ge=1, le=64, alias="LIVCHAT_AGENT_CONCURRENCY")
    # Cosine similarity a passage needs to be quoted; empty: calibrated per embedder (services/agent/relevance.py).
    agent_min_similarity: str = Field(default="", alias="LIVCHAT_AGENT_MIN_SIMILARITY")

    # The knowledge base (services/knowledge). Embedder: auto (OpenAI when OPENAI_API_KEY is set,
    # else the offline USE model), use, openai or hashed (deterministic, for tests).
    embedder: str = Field(default="auto", alias="LIVCHAT_EMBEDDER", pattern="^(auto|use|openai|hashed)$")
    lancedb_uri: str = Field(default="", alias="LIVCHAT_LANCEDB_URI")  # empty: data_dir/lancedb
    knowledge_max_file_mb: float = Field(default=20.0, gt=0, alias="LIVCHAT_KNOWLEDGE_MAX_FILE_MB")
    knowledge_chunk_chars: int = Field(default=1000, ge=200, le=8000, alias="LIVCHAT_KNOWLEDGE_CHUNK_CHARS")
    knowledge_chunk_overlap: int = Field(default=150, ge=0, le=2000, alias="LIVCHAT_KNOWLEDGE_CHUNK_OVERLAP")
    knowledge_workers: int = Field(default=1, ge=1, le=8, alias="LIVCHAT_KNOWLEDGE_WORKERS")
    knowledge_url_fetch_seconds: float = Field(default=20.0, gt=0, alias="LIVCHAT_KNOWLEDGE_URL_FETCH_SECONDS")

    clerk_publishable_key: str = ""
    clerk_secret_key: str = ""
    clerk_jwt_key: str = ""
    clerk_webhook_secret: str = ""
    # Origins allowed as a Clerk session token's `azp`, comma-separated; empty: PUBLIC_URL's origin.
    clerk_authorized_parties: str = ""
    # Reverse proxies in front of the app that append to X-Forwarded-For (0: use the peer address).
    trusted_proxy_hops: int = Field(default=0, ge=0)

    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_price_starter: str = ""
    stripe_price_scale: str = ""
    stripe_price_extra_instance: str = ""
    stripe_api_base: str = ""  # empty: Stripe's own (https://api.stripe.com); tests point it at a fake
    # After a failed payment the paid plan's limits hold this long, then the free plan's (nothing deleted).
    billing_grace_days: float = Field(default=7.0, ge=0, alias="LIVCHAT_BILLING_GRACE_DAYS")
    # Free organizations one person may own: more would multiply the free plan.
    free_orgs_per_user: int = Field(default=2, ge=1, alias="LIVCHAT_FREE_ORGS_PER_USER")

    # Vapi (Dashboard → Voice): each organization connects its own keys; only the API's address is ours.
    vapi_api_url: str = "https://api.vapi.ai"  # tests point it at a fake
    vapi_timeout_seconds: float = Field(default=15.0, gt=0, alias="VAPI_TIMEOUT_SECONDS")

    brevo_api_key: str = ""
    brevo_api_url: str = "https://api.brevo.com"  # tests point it at a fake
    # How often the Brevo sender looks for pending emails (only with BREVO_API_KEY).
    email_send_every_seconds: float = Field(default=5.0, gt=0, alias="LIVCHAT_EMAIL_SEND_EVERY_SECONDS")
    email_from: str = "LivChat <no-reply@livchat.local>"

    # Private files (media, attachments, knowledge files, logos): local (under data_dir) or s3.
    storage: str = Field(default="local", alias="LIVCHAT_STORAGE", pattern="^(local|s3)$")
    s3_endpoint_url: str = ""  # empty: AWS itself; R2: https://<account>.r2.cloudflarestorage.com
    s3_bucket: str = ""
    s3_region: str = "auto"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_presign_seconds: int = Field(default=300, ge=1, le=7 * 24 * 3600)  # a served file's URL lasts this long

    sentry_dsn: str = ""
    secret_key: str = Field(default="", alias="LIVCHAT_SECRET_KEY")
    webhook_allow_private: bool = Field(default=False, alias="LIVCHAT_WEBHOOK_ALLOW_PRIVATE")
    log_level: str = Field(default="INFO", alias="LIVCHAT_LOG_LEVEL")
    # JSON overriding rows of the plan table (livchat/services/limits.py), e.g. for a benchmark.
    plan_limits: str = Field(default="", alias="LIVCHAT_PLAN_LIMITS")
    # JSON overriding the test panel's per-IP limits (livchat/services/whatsapp/panel_limits.py).
    panel_limits: str = Field(default="", alias="LIVCHAT_PANEL_LIMITS")
    # One deadline for fetching media given by URL to a send (connect, redirects, whole body).
    media_fetch_seconds: float = Field(default=30.0, alias="LIVCHAT_MEDIA_FETCH_SECONDS")

    @property
    def resolved_database_url(self) -> str:
        """The database URL with the embedded SQLite default filled in."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'livchat.db'}"

    @property
    def resolved_lancedb_uri(self) -> str:
        """Where the knowledge base's LanceDB tables live: LIVCHAT_LANCEDB_URI, else the S3 bucket's
        `lancedb/` prefix with LIVCHAT_STORAGE=s3 (so every app process reaches the same tables),
        else a directory under data_dir."""
        if self.lancedb_uri:
            return self.lancedb_uri
        if self.storage == "s3" and self.s3_bucket:
            return f"s3://{self.s3_bucket}/lancedb"
        return str(self.data_dir / "lancedb")

    @property
    def lancedb_storage_options(self) -> dict[str, str]:
        """LanceDB's object-store options for an s3:// URI, from the S3_* settings (R2, MinIO and
        other S3-compatible stores through S3_ENDPOINT_URL); empty for a directory."""
        if not self.resolved_lancedb_uri.startswith("s3://"):
            return {}
        options = {"aws_region": self.s3_region}
        if self.s3_endpoint_url:
            options["aws_endpoint"] = self.s3_endpoint_url
            if self.s3_endpoint_url.startswith("http://"):
                options["allow_http"] = "true"
        if self.s3_access_key_id:
            options["aws_access_key_id"] = self.s3_access_key_id
            options["aws_secret_access_key"] = self.s3_secret_access_key
        return options

    @property
    def knowledge_max_file_bytes(self) -> int:
        return int(self.knowledge_max_file_mb * 1024 * 1024)

    @property
    def sandbox_enabled(self) -> bool:
        return not self.wuzapi_url

    @property
    def stripe_enabled(self) -> bool:
        """Without a Stripe key billing runs in development mode: owners switch plans, nothing is charged."""
        return bool(self.stripe_secret_key)

    @property
    def clerk_enabled(self) -> bool:
        return bool(self.clerk_publishable_key and self.clerk_secret_key)

    @property
    def public_origin(self) -> str:
        """`scheme://host[:port]` of PUBLIC_URL (what browsers send as Origin)."""
        scheme, _, rest = self.public_url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"

    @property
    def browser_origins(self) -> list[str]:
        """Origins whose pages are ours: PUBLIC_URL's, plus — when that is a loopback name
        (`localhost` or `127.0.0.1`, as with the embedded defaults) — its twin at the same port,
        so a newcomer typing either address gets a working app. Any other host: itself only."""
        origin = self.public_origin
        scheme, _, host_port = origin.partition("://")
        host, colon, port = host_port.partition(":")
        twins = {"localhost": "127.0.0.1", "127.0.0.1": "localhost"}
        if host.lower() not in twins:
            return [origin]
        return [origin, f"{scheme}://{twins[host.lower()]}{colon}{port}"]

    @property
    def clerk_azp(self) -> list[str]:
        parties = [p.strip().rstrip("/") for p in self.clerk_authorized_parties.split(",") if p.strip()]
        return parties or [self.public_origin]


@lru_cache
def get_settings() -> Settings:
    """Environment variables win over the project's .env (LIVCHAT_ENV_FILE names another; empty: none)."""
    env_file = os.environ.get("LIVCHAT_ENV_FILE", str(PROJECT_ROOT / ".env"))
    return Settings(_env_file=env_file or None)


def reset_settings_cache() -> None:
    """Tests change the environment and call this so the next read sees it."""
    get_settings.cache_clear()

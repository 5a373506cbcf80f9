"""The landing page's code samples run as a developer would run them — curl, Python and Node
against the real API, the verifiers (openssl, Python, Node) against our real signatures — and the
verifiers are the very text /docs shows."""

from __future__ import annotations

import asyncio
import html
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from livchat.components import code_sample
from livchat.core.ids import new_id
from livchat.services.accounts import api_keys, users
from livchat.services.actors import Actor
from livchat.services.webhooks import signing
from livchat.services.whatsapp.panel_feed import demo_secret
from tests.whatsapp.wa_support import LiveApp, linked_instance

NODE = Path(sys.executable).with_name("node")


async def _run(*command: str, env: dict[str, str] | None = None, stdin: bytes = b"",
               cwd: Path | None = None) -> str:
    proc = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})}, cwd=cwd)
    out, err = await asyncio.wait_for(proc.communicate(stdin), 60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_the_three_sends_reach_the_contact_once_under_one_idempotency_key(live: LiveApp, session: Any) -> None:
    org = await users.create_organization(session, "Sampleco")
    org.plan = "starter"
    key = await api_keys.create_api_key(session, Actor.for_console(org.id), "samples")
    await session.commit()
    instance = await linked_instance(live, session, org.id, phone="5511911110000")
    env = {"INSTANCE_ID": instance.id, "LIVCHAT_KEY": key.secret}
    samples = code_sample.send_samples(live.url + "/")

    answers = [
        await _run("bash", "-c", samples["curl"], env=env),
        await _run(sys.executable, "-c", samples["python"], env=env),
        await _run(str(NODE), "--input-type=module", "-e", samples["javascript"], env=env),
    ]
    assert '"status":"sent"' in answers[0].replace(" ", "") and "'status': 'sent'" in answers[1]
    assert "status: 'sent'" in answers[2]
    message_ids = {answer.split("msg_", 1)[1][:26] for answer in answers}
    assert len(message_ids) == 1  # the same Idempotency-Key: one message, three identical answers
    outbox = (await live.control.get("/outbox", params={"id": instance.wuzapi_user_id})).json()["messages"]
    assert [m["text"] for m in outbox] == ["Hello from LivChat"]


async def test_the_verifiers_accept_our_signatures_and_refuse_a_changed_body(tmp_path: Path) -> None:
    secret = demo_secret(new_id("anon"))
    event_id, now = new_id("evt"), int(time.time())
    body = b'{"id":"evt_1","type":"message.received","data":{"text":"Ol\xc3\xa1"}}'
    headers = signing.signed_headers([secret, signing.new_secret()], event_id, now, body)

    namespace: dict[str, Any] = {}
    exec(code_sample.VERIFY_PYTHON, namespace)
    assert namespace["verify"](secret, headers, body) is True
    assert namespace["verify"](secret, headers, body.replace(b"Ol", b"Oi")) is False

    (tmp_path / "verify.mjs").write_text(code_sample.VERIFY_JAVASCRIPT)
    runner = ("import { verify } from './verify.mjs'; import fs from 'node:fs';"
              "const [secret, headers] = JSON.parse(process.argv[1]);"
              "const body = fs.readFileSync(0);"
              "console.log(verify(secret, headers, body), verify(secret, headers, Buffer.concat([body, Buffer.from(' ')])));")
    out = await _run(str(NODE), "--input-type=module", "-e", runner, json.dumps([secret, headers]),
                     stdin=body, cwd=tmp_path)
    assert out.split() == ["true", "false"]

    (tmp_path / "body.json").write_bytes(body)
    script = (code_sample.VERIFY_SHELL.replace("SECRET='whsec_...'", f"SECRET='{secret}'")
              .replace("WEBHOOK_ID='evt_...'", f"WEBHOOK_ID='{event_id}'")
              .replace("WEBHOOK_TIMESTAMP='1767225600'", f"WEBHOOK_TIMESTAMP='{now}'"))
    out = await _run("bash", "-c", script, cwd=tmp_path)
    assert out.strip() == headers["webhook-signature"].split()[0].removeprefix("v1,")


def test_the_verifiers_are_the_ones_docs_shows() -> None:
    docs = html.unescape((Path(code_sample.__file__).parents[1] / "api" / "v1" / "docs.html").read_text())
    assert code_sample.VERIFY_PYTHON in docs
    assert code_sample.VERIFY_JAVASCRIPT in docs


@pytest.mark.parametrize("language", ["curl", "python", "javascript"])
def test_each_send_names_the_fields_api_md_fixes(language: str) -> None:
    sample = code_sample.send_samples("https://api.example.com")[language]
    assert "https://api.example.com/api/v1/instances/" in sample and "/messages" in sample
    for field in ('"to"', '"type"', '"text"', "Idempotency-Key", "Authorization"):
        assert field in sample or field.strip('"') + ":" in sample

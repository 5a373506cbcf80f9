"""The fake OpenAI server, driven by the real openai SDK over a socket: what the agent's tests rely on."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from openai import AsyncOpenAI

from tests.fakes.openai_server import ChatReply, FakeOpenAI, ToolCall, hashed_vector

TOOLS = [{"type": "function", "function": {"name": "search_knowledge_base", "parameters": {
    "type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}}]


def _client(fake: FakeOpenAI) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=fake.base_url, api_key="sk-test", max_retries=0, timeout=10)


async def test_a_tool_call_and_its_result_round_trip(fake_openai: FakeOpenAI) -> None:
    fake_openai.chat.push(ChatReply(tool_calls=[ToolCall("search_knowledge_base", {"query": "refund"}, id="call_a")]),
                          ChatReply(content="Refunds take 7 days."))
    client = _client(fake_openai)
    messages = [{"role": "user", "content": "How long do refunds take?"}]
    first = await client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == \
        ("call_a", "search_knowledge_base", {"query": "refund"})
    messages += [choice.message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "Refunds: 7 days."}]
    second = await client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
    assert second.choices[0].message.content == "Refunds take 7 days."
    assert second.usage.total_tokens > 0
    sent = fake_openai.chat.requests[1]["messages"]
    assert sent[-1] == {"role": "tool", "tool_call_id": "call_a", "content": "Refunds: 7 days."}
    assert fake_openai.chat.requests[0]["tools"] == TOOLS


async def test_a_streamed_answer_arrives_in_pieces_and_accumulates(fake_openai: FakeOpenAI) -> None:
    fake_openai.chat.push(ChatReply(content="Olá! Posso ajudar com devoluções.", chunk_chars=3))
    stream = await _client(fake_openai).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "oi"}], stream=True,
        stream_options={"include_usage": True})
    pieces, finish, usage = [], None, None
    async for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            finish = choice.finish_reason or finish
    assert "".join(pieces) == "Olá! Posso ajudar com devoluções."
    assert len(pieces) == 11 and finish == "stop" and usage is not None and usage.completion_tokens == 5


async def test_streamed_tool_calls_accumulate_by_index(fake_openai: FakeOpenAI) -> None:
    fake_openai.chat.push(ChatReply(tool_calls=[ToolCall("search_knowledge_base", {"query": "prazo de entrega"}),
                                                ToolCall("escalate_conversation", {})], argument_chars=5))
    client = _client(fake_openai)
    async with client.chat.completions.stream(model="gpt-4o-mini", tools=TOOLS,
                                              messages=[{"role": "user", "content": "?"}]) as stream:
        final = await stream.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert [(c.function.name, c.function.arguments) for c in calls] == [
        ("search_knowledge_base", '{"query": "prazo de entrega"}'), ("escalate_conversation", "{}")]
    assert calls[0].id != calls[1].id and final.choices[0].finish_reason == "tool_calls"


async def test_raw_stream_frames_follow_the_protocol(fake_openai: FakeOpenAI) -> None:
    """id, type and name only in a call's first fragment; [DONE] last; usage chunk has no choices."""
    fake_openai.chat.push(ChatReply(tool_calls=[ToolCall("search_knowledge_base", {"query": "x"}, id="call_z")]))
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{fake_openai.base_url}/chat/completions", headers={"Authorization": "Bearer k"},
                                   json={"model": "m", "messages": [], "stream": True,
                                         "stream_options": {"include_usage": True}})
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = [line.removeprefix("data: ") for line in response.text.split("\n\n") if line]
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(f) for f in frames[:-1]]
    fragments = [c["choices"][0]["delta"]["tool_calls"][0] for c in chunks if c["choices"]
                 and "tool_calls" in c["choices"][0]["delta"]]
    assert fragments[0] == {"index": 0, "id": "call_z", "type": "function",
                            "function": {"name": "search_knowledge_base", "arguments": ""}}
    assert all(set(f) == {"index", "function"} and set(f["function"]) == {"arguments"} for f in fragments[1:])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] >= 0
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


async def test_embeddings_in_base64_by_default_and_in_floats(fake_openai: FakeOpenAI) -> None:
    client = _client(fake_openai)
    decoded = await client.embeddings.create(model="text-embedding-3-small", input=["devolução", "prazo"])
    assert fake_openai.embeddings.requests[0]["encoding_format"] == "base64"  # what the SDK asks for
    floats = await client.embeddings.create(model="text-embedding-3-small", input="devolução",
                                            encoding_format="float")
    assert fake_openai.embeddings.requests[1]["encoding_format"] == "float"
    expected = hashed_vector("devolução", 64)
    assert decoded.data[0].embedding == pytest.approx(expected, abs=1e-6)
    assert floats.data[0].embedding == pytest.approx(expected, abs=1e-9)
    assert [d.index for d in decoded.data] == [0, 1] and len(decoded.data[1].embedding) == 64
    sized = await client.embeddings.create(model="text-embedding-3-small", input="x", dimensions=8)
    assert len(sized.data[0].embedding) == 8


async def test_failures_unscripted_replies_and_functions_of_the_request(fake_openai: FakeOpenAI) -> None:
    client = _client(fake_openai)
    fake_openai.fail_next("/v1/embeddings", status=429, message="Rate limit reached", type="requests",
                          code="rate_limit_exceeded")
    with pytest.raises(openai.RateLimitError):
        await client.embeddings.create(model="m", input="x")
    assert len((await client.embeddings.create(model="m", input="x")).data) == 1  # only the next one failed
    with pytest.raises(openai.InternalServerError, match="no chat reply was scripted"):
        await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    fake_openai.chat.respond_with(lambda body: ChatReply(content=f"echo: {body['messages'][-1]['content']}"))
    answer = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content == "echo: hi"
    async with httpx.AsyncClient() as http:  # the SDK refuses to send without a key; a raw client can
        anonymous = await http.post(f"{fake_openai.base_url}/embeddings", json={"model": "m", "input": "x"})
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "missing_api_key"

"""Media throughput through the S3 path: `S3Storage` (async, boto3 in threads) against moto's S3
server, next to boto3 alone on the same server in the same run (the ceiling: what our layer costs
is the gap). 200 objects of 256 KB, uploaded then downloaded, one at a time and 8 at a time; the
median of 3 rounds. Also the cost of serving one file (HEAD + presigning), per second."""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import uuid4

from moto.server import ThreadedMotoServer

from livchat.integrations import s3

OBJECTS = int(os.environ.get("BENCH_STORAGE_OBJECTS", "200"))
SIZE = 256 * 1024
CONCURRENCY = 8
ROUNDS = 3
SERVES = 200


def _boto3_ops(client: Any, bucket: str, keys: list[str], data: bytes) -> dict[str, Callable[[int], None]]:
    def upload(parallel: int) -> None:
        def put(key: str) -> None:
            client.put_object(Bucket=bucket, Key=f"raw/{key}", Body=data, ContentType="image/jpeg")
        _threads(put, keys, parallel)

    def download(parallel: int) -> None:
        def get(key: str) -> None:
            body = client.get_object(Bucket=bucket, Key=f"raw/{key}")["Body"]
            assert len(body.read()) == SIZE
            body.close()
        _threads(get, keys, parallel)

    return {"upload": upload, "download": download}


def _threads(fn: Callable[[str], None], keys: list[str], parallel: int) -> None:
    if parallel == 1:
        for key in keys:
            fn(key)
        return
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(fn, keys))


def _ours(storage: s3.S3Storage, keys: list[str], data: bytes) -> dict[str, Callable[[int], None]]:
    async def bounded(parallel: int, work: Callable[[str], Awaitable[None]]) -> None:
        gate = asyncio.Semaphore(parallel)

        async def one(key: str) -> None:
            async with gate:
                await work(key)
        await asyncio.gather(*(one(k) for k in keys))

    async def put(key: str) -> None:
        await storage.put(key, data, "image/jpeg")

    async def get(key: str) -> None:
        assert len(await storage.get(key)) == SIZE

    return {"upload": lambda parallel: asyncio.run(bounded(parallel, put)),
            "download": lambda parallel: asyncio.run(bounded(parallel, get))}


def _timed(fn: Callable[[int], None], parallel: int) -> float:
    started = time.perf_counter()
    fn(parallel)
    return time.perf_counter() - started


def run() -> dict[str, object]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = s3.client(endpoint, "us-east-1", "bench-key", "bench-secret")
        bucket = f"bench-{uuid4().hex[:8]}"
        client.create_bucket(Bucket=bucket)
        storage = s3.S3Storage(client, bucket, prefix="ours")
        keys = [f"org_bench/obj_{i:04d}" for i in range(OBJECTS)]
        data = os.urandom(SIZE)
        paths = {"boto3 alone": _boto3_ops(client, bucket, keys, data), "S3Storage": _ours(storage, keys, data)}
        megabytes = OBJECTS * SIZE / 2**20
        timings: dict[tuple[str, str, int], list[float]] = {}
        for _ in range(ROUNDS):  # rounds interleave the two paths, so drift in the machine hits both
            for parallel in (1, CONCURRENCY):
                for op in ("upload", "download"):
                    for name, ops in paths.items():
                        timings.setdefault((name, op, parallel), []).append(_timed(ops[op], parallel))
        rows = []
        for (name, op, parallel), seconds in timings.items():
            median = statistics.median(seconds)
            ceiling = statistics.median(timings[("boto3 alone", op, parallel)])
            rows.append({"path": name, "op": op, "parallel": parallel, "objects": OBJECTS, "object_kb": SIZE // 1024,
                         "seconds": round(median, 3), "mb_per_s": round(megabytes / median, 1),
                         "vs_ceiling": f"{ceiling / median:.0%}"})
        rows.sort(key=lambda r: (r["op"], r["parallel"], r["path"]))

        async def serves() -> float:
            started = time.perf_counter()
            for i in range(SERVES):
                served = await storage.serve(keys[i % OBJECTS], content_type="image/jpeg", filename="photo.jpg")
                assert served.url
            return time.perf_counter() - started

        serve_seconds = asyncio.run(serves())
        rows.append({"path": "S3Storage", "op": "serve (HEAD + presign)", "parallel": 1, "objects": SERVES,
                     "object_kb": SIZE // 1024, "seconds": round(serve_seconds, 3),
                     "mb_per_s": f"{SERVES / serve_seconds:.0f}/s", "vs_ceiling": ""})
    finally:
        server.stop()
    return {"title": f"Media through S3Storage vs boto3 alone, moto S3 on 127.0.0.1 ({OBJECTS} x {SIZE // 1024} KB, "
                     f"median of {ROUNDS})", "rows": rows}

"""S3 tests run against moto's real S3 server (HTTP on 127.0.0.1, a free port), one bucket per test;
`s3_env` switches the app to LIVCHAT_STORAGE=s3 on that bucket for the test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.environment import environment


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class Bucket:
    endpoint: str
    name: str
    client: Any  # a plain boto3 client, to look at the bucket without our code

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listed.get("Contents", []))


def plain_client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test-key",
                        aws_secret_access_key="test-secret")


@pytest.fixture
def bucket(moto_s3: str) -> Bucket:
    name = f"livchat-{uuid4().hex[:12]}"
    client = plain_client(moto_s3)
    client.create_bucket(Bucket=name)
    return Bucket(moto_s3, name, client)


@pytest.fixture
def s3_env(bucket: Bucket) -> Iterator[Bucket]:
    values = {"LIVCHAT_STORAGE": "s3", "S3_ENDPOINT_URL": bucket.endpoint, "S3_BUCKET": bucket.name,
              "S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "test-key", "S3_SECRET_ACCESS_KEY": "test-secret"}
    with environment(values):
        yield bucket

"""What a request handler may depend on, as `Annotated` aliases; the app's lifespan builds it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

import asyncpg
from confluent_kafka import Producer
from fastapi import Depends, Request

from services.common.codec import Codec
from services.gateway.auth import ShopDep

__all__ = ["CodecDep", "LedgerPartitionsDep", "PoolDep", "ProducerDep", "Resources", "ShopDep"]


@dataclass(frozen=True)
class Resources:
    pool: asyncpg.Pool
    producer: Producer
    codec: Codec
    ledger_partitions: int
    """Partition count of loyalty.ledger (all customer topics share it), read from Kafka at start."""


def resources(request: Request) -> Resources:
    return cast(Resources, request.app.state.resources)


async def get_pool(request: Request) -> asyncpg.Pool:
    return resources(request).pool


async def get_producer(request: Request) -> Producer:
    return resources(request).producer


async def get_codec(request: Request) -> Codec:
    return resources(request).codec


async def get_ledger_partitions(request: Request) -> int:
    return resources(request).ledger_partitions


PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]
ProducerDep = Annotated[Producer, Depends(get_producer)]
CodecDep = Annotated[Codec, Depends(get_codec)]
LedgerPartitionsDep = Annotated[int, Depends(get_ledger_partitions)]

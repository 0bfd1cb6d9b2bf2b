"""The gateway: projects loyalty.ledger, loyalty.tiers and loyalty.programs into PostgreSQL read models
and serves them over HTTP.

Two processes: the projector (`python -m services.gateway.projector`) and the API
(`python -m services.gateway`). The API also accepts shop events and puts them on Kafka, and is
the single writer of loyalty.programs (`PUT /v1/program`, admin keys from ADMIN_API_KEYS).
"""

"""The gateway: projects loyalty.ledger into PostgreSQL read models and serves them over HTTP.

Two processes: the projector (`python -m services.gateway.projector`) and the API
(`python -m services.gateway`). The API also accepts shop events and puts them on Kafka.
"""

"""The gateway: serves the PostgreSQL read models over HTTP and puts shop events and commands on Kafka.

`python -m services.gateway`. It puts shop events and staff and storefront commands (redemptions,
cancellations, adjustments, freezes, transfers) on Kafka, and is the writer of loyalty.programs
(`PUT /v1/program`) and loyalty.rewards (`PUT /v1/rewards/{id}`); admin keys come from ADMIN_API_KEYS.
The read models (`readmodel`, their statements in `postgres`) are folded by the projector
(`services.projector`); their schema's migrations are in `services.schema`.
"""

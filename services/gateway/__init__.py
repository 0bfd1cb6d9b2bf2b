"""The gateway: projects the loyalty logs into PostgreSQL read models and serves them over HTTP.

Two processes: the projector (`python -m services.gateway.projector`: the ledger with the lot
shares the redeem service names, redemptions and their outcomes, freezes and refused account
commands, the catalog, tiers, programs) and the API (`python -m services.gateway`). The API also
puts shop events and staff and storefront commands (redemptions, cancellations, adjustments,
freezes, transfers) on Kafka, and is the single writer of loyalty.programs (`PUT /v1/program`) and
loyalty.rewards (`PUT /v1/rewards/{id}`); admin keys come from ADMIN_API_KEYS.
"""

"""The one PostgreSQL schema, shared by the services that keep something in PostgreSQL (`migrations`).

Shared on purpose, not owned by one service: the projector writes the read models, the gateway reads
them and keeps its API keys, idempotency records and shipping addresses beside them, and the redeem
service keeps reward stock and reservations (`reward_stock`, `reserve_reward`), which the gateway's
catalog joins to the projected rewards. One
migration sequence keeps them in one schema that `pointstream migrate` brings up to date at once, and
every service refuses to start on a schema behind it (`pending`).
"""

"""The gateway's own tables in PostgreSQL: API keys, idempotent requests and shop webhooks."""

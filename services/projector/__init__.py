"""The projector: folds the loyalty logs into the PostgreSQL read models the gateway serves, exactly once.

`python -m services.projector`: the ledger with the lot shares the redeem service names, redemptions and
their outcomes, freezes and refused account commands, the catalog, tiers, programs (what the topic
registry gives it to read). `rebuild` empties the read models and folds them again from the logs
(`pointstream rebuild`). The read models' rows and their statements are the gateway's
(`services.readmodels.folds`, `services.readmodels.postgres`): the projector writes them, the gateway reads them.
Its consumer group keeps its name, `gateway-projector`, so a deployment's stored positions stay its own.
"""

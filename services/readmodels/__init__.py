"""The read models: the logs folded into what the API answers.

`folds` is the pure fold of each read model (balances, lots, ledger rows, tiers, redemptions, accounts,
programs, rewards); `messages` turns the logs' decoded records into the folds' inputs; `postgres` holds
the tables' statements. The projector writes them; the gateway reads them.
"""

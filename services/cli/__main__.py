"""`python -m services.cli ...`: the same as the `pointstream` command."""

from __future__ import annotations

from services.cli.pointstream import main

if __name__ == "__main__":
    main()

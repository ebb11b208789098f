"""drp-tui: a keyboard-first terminal desk for the Dispute Resolution Process."""

from drp_tui.store import pgdriver as _pgdriver

__version__ = "0.1.0"

_pgdriver.defer()  # PostgreSQL's driver only when a PostgreSQL database is opened (store/pgdriver.py)

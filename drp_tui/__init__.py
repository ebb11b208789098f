"""drp-tui: a keyboard-first terminal desk for the Dispute Resolution Process."""

__version__ = "0.1.0"

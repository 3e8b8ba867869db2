"""Months of stock: how long what a location holds lasts at the pace it used the item.

Used is what left for good over a window of days: handed out (a distribution, less those
voided) and dispatched elsewhere (a transfer, less what came back). A month is 30 days.
"""

from __future__ import annotations

DAYS_PER_MONTH = 30


def monthly_use(used: int, window_days: int) -> float:
    """Units used per month, at the window's pace."""
    return round(used * DAYS_PER_MONTH / window_days, 2)


def months_of_stock(on_hand: int, used: int, window_days: int) -> float | None:
    """On hand divided by the monthly use; None when nothing was used in the window (the
    stock lasts as long as nothing is used)."""
    if used <= 0:
        return None
    return round(on_hand * window_days / (used * DAYS_PER_MONTH), 2)


def short(months: float | None, alert_below: float) -> bool:
    """Whether the stock lasts less than `alert_below` months."""
    return months is not None and months < alert_below

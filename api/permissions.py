"""The permission table as the API shows it: rendered in `/docs`.

The table itself, the caller and the check live in `services.app.permissions`, where the
application layer uses them; they are re-exported here for the API's modules and tests.
"""

from __future__ import annotations

from services.app.permissions import PERMISSIONS, ROLES, Scope, grant

__all__ = ["PERMISSIONS", "ROLES", "Scope", "grant", "render_markdown"]


def render_markdown() -> str:
    """The permission table as Markdown, for the docs."""
    lines = ["| action | " + " | ".join(ROLES) + " |", "|---" * (len(ROLES) + 1) + "|"]
    for action, grants in PERMISSIONS.items():
        cells = [str(grants[r]) if r in grants else "—" for r in ROLES]
        lines.append(f"| {action} | " + " | ".join(cells) + " |")
    return "\n".join(lines)

"""Convoys of a relief operation: planned, dispatched, delivered, or cancelled before leaving."""

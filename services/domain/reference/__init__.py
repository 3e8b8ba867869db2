"""Locations and items: registered once, by their single writer."""

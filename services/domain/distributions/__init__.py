"""Distributions: a household served at most its entitlement per campaign."""

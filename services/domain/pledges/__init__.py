"""Pledges: what donors promised, and the donations that fulfil it."""

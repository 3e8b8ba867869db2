"""Warehouse and site stock: commands and the single-writer decider per location."""

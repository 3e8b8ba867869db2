"""Households: registered once, identified by pseudonyms, personal data encrypted."""

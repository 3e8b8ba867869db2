"""Appointments at distribution sites: each site's slot plans and who holds which slot."""

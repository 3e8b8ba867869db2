"""Users: created with a role and scopes, their scopes changed, their credentials reset,
revoked; one writer per username decides, and only hashes of credentials are recorded."""

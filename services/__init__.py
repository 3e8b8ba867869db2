"""The running system: settings, Kafka plumbing, the Faust worker and the `aid` CLI."""

"""The running system: settings, Kafka plumbing, the Faust worker, the projectors and the
`aid` CLI; the edges that carry the domain's decisions in and out."""

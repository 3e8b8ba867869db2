"""The domain: commands, the pure deciders of each aggregate and the policies between them.

Nothing here touches Kafka, SQL or HTTP; everything is a function of values, tested in
microseconds."""

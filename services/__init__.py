"""Three rooms: `domain/` (what each aggregate's single writer decides, pure), `app/` (one use
case per thing a person does, over ports), `runtime/` (Kafka, the Faust worker, the CLI)."""

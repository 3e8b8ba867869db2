"""Read models: pure folds of events, and the SQL tables and writers they fill."""

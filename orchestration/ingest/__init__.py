"""The ingest domain: landing every source system in the warehouse."""

"""What every landing pipeline shares: rejects, schema-drift checks, row accounting."""

"""dlt pipelines that land each source system's raw records in the warehouse."""

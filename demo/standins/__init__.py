"""Local servers that speak the protocols of the SaaS systems we cannot reach here."""

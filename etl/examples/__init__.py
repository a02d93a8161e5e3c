"""Example ETL plugins: small, tested, and meant to be copied as a starting point for your own."""

"""The rolegraph web front end: SPARQL endpoint and pages (see the serve issue)."""

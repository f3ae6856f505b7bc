"""rolegraph: a knowledge graph of public-sector job classes.

The pipeline runs one way: read -> parse -> merge -> RDF -> validate/ladders -> store -> serve.
"""

__version__ = "0.1.0"

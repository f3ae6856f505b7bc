"""Ontology of rolegraph (Turtle), shipped as package data."""

"""SHACL shapes of rolegraph (Turtle), shipped as package data."""

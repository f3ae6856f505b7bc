"""Parsing rules (TOML tables), shipped as package data."""

"""Geometry in the graph: reading what sources say about a place, writing GeoSPARQL.

`geometry` parses and writes single geometries (pure, no store); `features` reads the
features (communities, service areas, projects, datasets) and their geometries from the
store.
"""

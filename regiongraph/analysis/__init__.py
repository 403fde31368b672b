"""Planning analyses: lineage, impact, reuse, standards, governance, engagement, network.

Every analysis reads the store through the Store protocol and returns a pydantic model
from `models.py`; the CLI (`regiongraph.cli.planning`) and the API (`api/routes/lineage.py`,
`api/routes/planning.py`) only call these functions and serialise what they return.
"""

"""`GET /audit/who-saw?dataset=...&days=30`: who was shown a non-public dataset, and when.

For the alliance steward (the admin token), and for a data steward of the dataset's owner;
the same kernel function answers `regiongraph audit who-saw`.
"""

from fastapi import APIRouter, HTTPException, Query
from regiongraph.api.deps import PrincipalDep, SettingsDep, StoreDep

from regiongraph.audit import who_saw
from regiongraph.iri import Minter
from regiongraph.namespaces import DCT, RGC

router = APIRouter(prefix="/audit", tags=["audit"])
STEWARD = RGC + "role/data-steward"


def _owners(store, dataset: str) -> set[str]:
    rows = store.query(f"SELECT ?o WHERE {{ <{dataset}> {DCT.publisher} ?o }}",
                       union_default_graph=True)
    return {row["o"].value for row in rows}


@router.get("/who-saw", summary="Who was shown a non-public dataset (stewards)")
def who_saw_route(store: StoreDep, settings: SettingsDep, principal: PrincipalDep,
                  dataset: str = Query(..., description="IRI or community/identifier"),
                  days: int = Query(30, ge=1, le=3660)) -> dict:
    if principal.is_anonymous:
        raise HTTPException(401, "the audit is for stewards: send a token",
                            headers={"WWW-Authenticate": "Bearer"})
    iri = dataset if "://" in dataset else Minter(settings.base).base + "datasets/" + dataset
    if not principal.alliance_steward:
        owners = _owners(store, iri)
        if not any(m.role == STEWARD and m.organization in owners
                   for m in principal.memberships):
            raise HTTPException(403, "only the alliance steward or a data steward of the "
                                     "dataset's owner may read its audit")
    sightings = who_saw(store, settings, iri, days=days)
    return {"dataset": iri, "days": days, "seen_by": [
        {"person": s.person, "route": s.route, "at": s.at.isoformat()} for s in sightings]}

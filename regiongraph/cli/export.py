"""`regiongraph export`: write the public catalog to a file, the same bytes the API serves.

`export datajson` writes DCAT-US 1.1 (`/data.json`); `export dcat --format ttl|jsonld|xml|nt`
writes the whole DCAT-AP 3 catalog in one document (no paging); `export schemaorg` writes
a JSON array of schema.org `Dataset`s. Profiles are found by name (`regiongraph.exports`);
a wrong name lists the valid ones. Only what `regiongraph.visibility` publishes is written.
"""

import json
import sys
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from regiongraph.cli.app import app, console, state
from regiongraph.errors import RegiongraphError


@app.command()
def export(
    profile: Annotated[str, typer.Argument(
        help="datajson (DCAT-US 1.1), dcat (DCAT-AP 3) or schemaorg; full names work too.")],
    fmt: Annotated[str, typer.Option(
        "--format", "-f", help="RDF syntax for dcat: ttl, jsonld, xml or nt.")] = "ttl",
    out_file: Annotated[Path | None, typer.Option(
        "--out", "-o", help="File to write (default: standard output).")] = None,
    community: Annotated[str | None, typer.Option(
        help="Only this community's catalog (its id in the registry).")] = None,
) -> None:
    """Write the region's public catalog as data.json, DCAT-AP 3 RDF or schema.org JSON-LD."""
    from regiongraph.exports import get_profile

    chosen = get_profile(profile)
    current = state()
    store = current.store(read_only=True)
    settings = current.settings
    if out_file is not None and out_file.is_dir():
        raise RegiongraphError(f"--out {out_file} is a directory; give a file name")
    output: BinaryIO = out_file.open("wb") if out_file else sys.stdout.buffer
    try:
        count = _write(chosen.NAME, store, settings, output, fmt, community)
    except BaseException:
        if out_file is not None:
            output.close()
            out_file.unlink(missing_ok=True)
        raise
    if out_file is not None:
        output.close()
        console.print(f"{count} datasets written to {out_file} ({chosen.DESCRIPTION})")
    else:
        output.flush()


def _write(name: str, store, settings, output: BinaryIO, fmt: str,
           community: str | None) -> int:
    from regiongraph.exports import schema_org
    from regiongraph.exports.model import catalog_index
    from regiongraph.exports.serializer import (
        all_records,
        datajson_chunks,
        rdf_syntax,
        write_catalog,
    )

    index = catalog_index(store, settings)
    if community is not None and community not in index.communities:
        known = ", ".join(sorted(index.communities)) or "none"
        raise RegiongraphError(f"unknown community {community!r}; known: {known}")
    entries = index.select(community=community)
    if name == "dcat-ap-3":
        return write_catalog(store, settings, output, rdf_syntax(fmt), community=community)
    if name == "dcat-us-1.1":
        self_url = settings.base + (f"communities/{community}/" if community else "") + "data.json"
        output.writelines(datajson_chunks(store, settings, self_url=self_url, community=community,
                                     index=index))
        return len(entries)
    output.write(b"[")
    records = all_records(store, entries, visible=index.may_name, index=index)
    for n, record in enumerate(records):
        item = schema_org.dataset(record, page_url=record.iri)
        output.write((",\n" if n else "\n").encode() + json.dumps(item).encode())
    output.write(b"\n]\n")
    return len(entries)

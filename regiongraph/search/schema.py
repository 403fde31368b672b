"""The tantivy schema of the search index, its analyzers, and the facets it offers.

Why tantivy and not SQLite FTS5 (NOTES.md §4, 100k documents on this machine kind):
tantivy answers a top-10 query in 0.02 ms against FTS5's 0.73 ms, finds 50/50 one-typo
queries with a fuzzy term query where FTS5 finds 0/50, and counts facets with fast-field
aggregations in 0.3 ms. Both update one record in milliseconds. Its cost, a 5 MB wheel
and one writer at a time, is acceptable: the embedded store already admits one writer.

Each text is indexed twice: stemmed (so "bicycles" finds "bicycle"; stop words dropped so
"parking in Tucson" does not demand the word "in") and plain (lower-cased, accents folded,
not stemmed), because typo tolerance and prefixes must work on the word as written:
"transportaton" is one edit from "transportation" but far from its stem "transport".
"""

import tantivy

SCHEMA_VERSION = 6
"""Bumped whenever fields or analyzers change; an index of another version is rebuilt."""

STEM = "rg_stem"
PLAIN = "rg_plain"

TEXT_FIELDS = ("title", "tags", "text")
"""Searchable text, each also as `<name>_plain`. `tags` holds keywords and the labels
(preferred, alternative, hidden, broader) of the SKOS concepts a record is filed under."""

FACETS: dict[str, str] = {
    "kind": "what the record is: dataset, project, standard or community",
    "community": "the community a record belongs to (a dataset's community, a project's "
                 "lead and participants)",
    "publisher": "the dataset's publisher",
    "theme": "the domain concept (SKOS) a record is filed under",
    "keyword": "a free keyword (lower-cased)",
    "format": "a distribution format (CSV, JSON, GEOJSON ...)",
    "standard": "a standard the dataset or a distribution conforms to",
    "project": "a project that uses or produces the dataset",
    "access": "access level (public, internal, restricted, confidential); admin only",
    "modified": "year the record was last modified; filter with 2024 or 2022..2024",
}
"""Facet name → what it counts. Each is a raw, fast field of the same name."""

PRIVATE_FACETS = frozenset({"access"})
"""Facets only users who may see non-public records get (the access level itself leaks
that a restricted dataset exists)."""


def stem_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stopword("english"))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def plain_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", fast=True)
    builder.add_text_field("uuid", tokenizer_name="raw")
    builder.add_text_field("name", tokenizer_name="raw", fast=True)
    builder.add_text_field("graph", tokenizer_name="raw")
    builder.add_text_field("resource", tokenizer_name="raw")  # distribution IRIs and UUIDs
    for field in TEXT_FIELDS:
        builder.add_text_field(field, tokenizer_name=STEM, index_option="position")
        builder.add_text_field(f"{field}_plain", tokenizer_name=PLAIN, index_option="freq")
    builder.add_text_field("title_sort", tokenizer_name="raw", fast=True)
    for facet in FACETS:
        builder.add_text_field(facet, tokenizer_name="raw", fast=True)
    builder.add_boolean_field("public", indexed=True, fast=True)
    builder.add_date_field("modified_at", indexed=True, fast=True)
    builder.add_unsigned_field("digest", stored=True)
    builder.add_bytes_field("payload", stored=True)
    builder.add_bytes_field("hashes", stored=True)
    return builder.build()


def register_analyzers(index: tantivy.Index) -> None:
    """Analyzers are not persisted with an index: register them on every open."""
    index.register_tokenizer(STEM, stem_analyzer())
    index.register_tokenizer(PLAIN, plain_analyzer())

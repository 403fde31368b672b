"""Mappings from what the region's catalogs say to the EU vocabularies DCAT-AP expects.

DCAT-AP 3 asks for `dct:accessRights`, `dct:format`, `dct:license`, `dct:language` and
`dct:accrualPeriodicity` as IRIs of the EU Publications Office authority tables, because
European harvesters (piveau, data.europa.eu) compare IRIs, not strings. The harvested data
says the same things in US words (data.json access levels, IANA media types, Creative
Commons URLs, ISO 639-1 codes, Dublin Core frequencies). These tables translate; anything
they do not know is left out of the DCAT-AP output rather than guessed, and the original
value still travels in the profiles that carry it (data.json keeps the licence URL).
"""

import re

EU = "http://publications.europa.eu/resource/authority/"
ACCESS_RIGHT = EU + "access-right/"
FILE_TYPE = EU + "file-type/"
LICENCE = EU + "licence/"
LANGUAGE = EU + "language/"
FREQUENCY = EU + "frequency/"
RGC_ACCESS = "https://w3id.org/regiongraph/concepts/access/"

ACCESS_RIGHTS = {
    "public": "PUBLIC",
    "restricted": "RESTRICTED",
    "internal": "NON_PUBLIC",
    "confidential": "NON_PUBLIC",
}
"""rgc:access/<level> → EU access-right code."""

DATAJSON_ACCESS = {
    "public": "public",
    "restricted": "restricted public",
    "internal": "non-public",
    "confidential": "non-public",
}
"""rgc:access/<level> → DCAT-US 1.1 accessLevel."""

MEDIA_FILE_TYPES = {
    "text/csv": "CSV",
    "text/tab-separated-values": "TSV",
    "application/json": "JSON",
    "application/geo+json": "GEOJSON",
    "application/vnd.geo+json": "GEOJSON",
    "application/ld+json": "JSON_LD",
    "application/xml": "XML",
    "text/xml": "XML",
    "application/zip": "ZIP",
    "application/x-zip-compressed": "ZIP",
    "application/gzip": "GZIP",
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.oasis.opendocument.spreadsheet": "ODS",
    "text/html": "HTML",
    "text/plain": "TXT",
    "application/vnd.google-earth.kml+xml": "KML",
    "application/vnd.google-earth.kmz": "KMZ",
    "application/gml+xml": "GML",
    "application/geopackage+sqlite3": "GPKG",
    "application/x-shapefile": "SHP",
    "application/rdf+xml": "RDF_XML",
    "text/turtle": "RDF_TURTLE",
    "application/n-triples": "RDF_N_TRIPLES",
    "application/vnd.apache.parquet": "PARQUET",
    "application/x-protobuf": "PROTOBUF",
}
"""IANA media type → EU file-type code."""

FORMAT_WORDS = {
    "CSV": "CSV", "TSV": "TSV", "JSON": "JSON", "GEOJSON": "GEOJSON", "JSONLD": "JSON_LD",
    "XML": "XML", "ZIP": "ZIP", "GZIP": "GZIP", "PDF": "PDF", "XLSX": "XLSX", "XLS": "XLS",
    "EXCEL": "XLSX", "ODS": "ODS", "HTML": "HTML", "TXT": "TXT", "TEXT": "TXT", "KML": "KML",
    "KMZ": "KMZ", "GML": "GML", "GEOPACKAGE": "GPKG", "GPKG": "GPKG", "SHAPEFILE": "SHP",
    "SHP": "SHP", "ESRISHAPEFILE": "SHP", "RDF": "RDF_XML", "RDFXML": "RDF_XML",
    "TURTLE": "RDF_TURTLE", "TTL": "RDF_TURTLE", "PARQUET": "PARQUET",
    "GTFS": "ZIP", "PROTOBUF": "PROTOBUF",
}
"""A free-text format name (data.json `format`), upper-cased without punctuation → code."""

LICENCES = {
    "creativecommons.org/licenses/by/4.0": "CC_BY_4_0",
    "creativecommons.org/licenses/by-sa/4.0": "CC_BYSA_4_0",
    "creativecommons.org/licenses/by-nc/4.0": "CC_BYNC_4_0",
    "creativecommons.org/licenses/by-nd/4.0": "CC_BYND_4_0",
    "creativecommons.org/licenses/by-nc-sa/4.0": "CC_BYNCSA_4_0",
    "creativecommons.org/licenses/by-nc-nd/4.0": "CC_BYNCND_4_0",
    "creativecommons.org/publicdomain/zero/1.0": "CC0",
    "creativecommons.org/publicdomain/mark/1.0": "CC_PDM_1_0",
    "opendatacommons.org/licenses/by": "ODC_BY",
    "opendatacommons.org/licenses/odbl": "ODC_BL",
    "opendatacommons.org/licenses/pddl": "ODC_PDDL",
    "www.nationalarchives.gov.uk/doc/open-government-licence/version/3": "OGL_3_0",
}
"""Licence URL (scheme, `legalcode`, trailing slash and version suffixes dropped) → code."""

LANGUAGES = {
    "en": "ENG", "es": "SPA", "fr": "FRA", "de": "DEU", "zh": "ZHO", "vi": "VIE",
    "ar": "ARA", "ko": "KOR", "tl": "TGL", "nv": "NAV", "pt": "POR", "it": "ITA",
    "ru": "RUS", "ja": "JPN",
}
"""ISO 639-1 (with or without region, `en-US`) → EU language code (ISO 639-3 style)."""

FREQUENCIES = {
    "daily": "DAILY", "hourly": "HOURLY", "weekly": "WEEKLY", "monthly": "MONTHLY",
    "quarterly": "QUARTERLY", "annual": "ANNUAL", "semiannual": "ANNUAL_2",
    "biweekly": "BIWEEKLY", "semimonthly": "MONTHLY_2", "bimonthly": "BIMONTHLY",
    "threeTimesAYear": "ANNUAL_3", "biennial": "BIENNIAL", "triennial": "TRIENNIAL",
    "continuous": "UPDATE_CONT", "irregular": "IRREG",
}
"""Dublin Core Collection frequency (http://purl.org/cld/freq/<name>) → EU frequency code."""

ISO_DURATIONS = {
    "daily": "R/P1D", "hourly": "R/PT1H", "weekly": "R/P1W", "monthly": "R/P1M",
    "quarterly": "R/P3M", "annual": "R/P1Y", "semiannual": "R/P6M", "biweekly": "R/P2W",
    "semimonthly": "R/P0.5M", "bimonthly": "R/P2M", "threeTimesAYear": "R/P4M",
    "biennial": "R/P2Y", "triennial": "R/P3Y", "continuous": "R/PT1S", "irregular": "irregular",
}
"""Dublin Core Collection frequency name → DCAT-US 1.1 accrualPeriodicity."""

PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"
PUBLISHER_TYPES = {
    "City": "LocalAuthority", "County": "LocalAuthority", "SpecialDistrict": "LocalAuthority",
    "TransitAgency": "LocalAuthority", "StateAgency": "RegionalAuthority",
}
"""The registry's community class → ADMS publisher type (DCAT-AP's `dct:type` of an agent).
Tribal nations and the alliance itself fit none of ADMS's types and get none."""

CLD_FREQ = "http://purl.org/cld/freq/"
EU_FREQ_TO_CLD = {code: name for name, code in FREQUENCIES.items()}


def access_level_name(concept: str | None) -> str | None:
    """`https://w3id.org/regiongraph/concepts/access/public` → `public`."""
    if concept and concept.startswith(RGC_ACCESS):
        return concept[len(RGC_ACCESS):]
    return None


def eu_access_right(level: str | None) -> str | None:
    code = ACCESS_RIGHTS.get(level or "")
    return ACCESS_RIGHT + code if code else None


def eu_file_type(media_type: str | None, format_name: str | None) -> str | None:
    """The EU file type of a distribution, from its media type first, then its format name.

    >>> eu_file_type("text/csv", None)
    'http://publications.europa.eu/resource/authority/file-type/CSV'
    >>> eu_file_type(None, "GeoJSON")
    'http://publications.europa.eu/resource/authority/file-type/GEOJSON'
    >>> eu_file_type(None, "Esri REST") is None
    True
    """
    if media_type:
        code = MEDIA_FILE_TYPES.get(media_type.split(";")[0].strip().lower())
        if code:
            return FILE_TYPE + code
    if format_name:
        code = FORMAT_WORDS.get(re.sub(r"[^A-Z0-9]", "", format_name.upper()))
        if code:
            return FILE_TYPE + code
    return None


def eu_licence(url: str | None) -> str | None:
    """The EU licence IRI for a licence URL the table knows, else None.

    >>> eu_licence("https://creativecommons.org/licenses/by/4.0/legalcode")
    'http://publications.europa.eu/resource/authority/licence/CC_BY_4_0'
    >>> eu_licence("http://opendatacommons.org/licenses/odbl/1.0/")
    'http://publications.europa.eu/resource/authority/licence/ODC_BL'
    """
    if not url:
        return None
    if url.startswith(LICENCE):
        return url
    key = re.sub(r"^https?://", "", url.strip()).rstrip("/")
    key = re.sub(r"/(legalcode(\.[a-z]+)?|deed\.[a-z]+)$", "", key)
    for known, code in LICENCES.items():
        if key == known or (known.startswith("opendatacommons") and key.startswith(known)):
            return LICENCE + code
    return None


def eu_language(tag: str | None) -> str | None:
    """`en` or `en-US` → the EU language IRI; an EU IRI passes through."""
    if not tag:
        return None
    if tag.startswith(LANGUAGE):
        return tag
    code = LANGUAGES.get(tag.split("-")[0].strip().lower())
    return LANGUAGE + code if code else None


def language_tag(value: str) -> str | None:
    """An EU language IRI or a BCP 47 tag → a BCP 47 tag (data.json and schema.org want one)."""
    if value.startswith(LANGUAGE):
        code = value[len(LANGUAGE):]
        for tag, eu in LANGUAGES.items():
            if eu == code:
                return tag
        return None
    return value if re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", value) else None


def frequency_name(iri: str | None) -> str | None:
    """A Dublin Core or EU frequency IRI → the Dublin Core name (`monthly`)."""
    if not iri:
        return None
    if iri.startswith(CLD_FREQ):
        name = iri[len(CLD_FREQ):]
        return name if name in FREQUENCIES else None
    if iri.startswith(FREQUENCY):
        return EU_FREQ_TO_CLD.get(iri[len(FREQUENCY):])
    return None


def eu_frequency(iri: str | None) -> str | None:
    name = frequency_name(iri)
    return FREQUENCY + FREQUENCIES[name] if name else None

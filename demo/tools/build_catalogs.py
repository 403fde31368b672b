"""Build the demo region's source catalogs: `demo/catalogs/<community>/data.json|catalog.ttl`.

Why a script: 300+ hand-written records drift (a typo in one email, a date format in
another) and cannot be regenerated when the model changes. Each dataset here is written
once as a *kind* (what a streetlight outage feed is) and then *used* by the communities
that publish it, with their own titles, identifiers, departments and standards. That is
what makes the region realistic for the analyses: several communities keep near-duplicate
datasets (streetlight outages, 311 requests, traffic counts), some to a standard and some
without it (adoption gaps), and sensitive records (shelter intake, 911 calls, utility
accounts) are marked "non-public" or "restricted public".

Deterministic: every "random" choice comes from a `random.Random` seeded with the
community and identifier, so re-running gives byte-identical files (a test checks it).

    python demo/tools/build_catalogs.py            # rewrite demo/catalogs/
    python demo/tools/build_catalogs.py --out DIR  # write elsewhere (the tests do)
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field
from pathlib import Path

from regiongraph.generate.records import (
    DISTRIBUTION_KINDS,
    LICENSES,
    STANDARDS,
    DatasetRecord,
    Distribution,
    TurtleCatalog,
    datajson_catalog,
    turtle_catalog,
)

CATALOGS = Path(__file__).resolve().parent.parent / "catalogs"


# --- communities -----------------------------------------------------------------------


@dataclass(frozen=True)
class Community:
    id: str
    name: str
    place: str
    kind: str
    host: str
    format: str  # "datajson" or "ttl"
    bbox: str
    departments: dict[str, str]
    # A small town answers from one named person; larger bodies from team mailboxes.
    contact_person: tuple[str, str] | None = None
    catalog_modified: str = "2026-11-02"
    short: str | None = None  # for contact team names when `place` reads badly there


CITY_DEPARTMENTS = {
    "transport": "Department of Transportation",
    "works": "Public Works Department",
    "it": "Information Technology Department",
    "police": "Police Department",
    "fire": "Fire Department",
    "human": "Housing and Community Services Department",
    "permits": "Development Services Department",
    "sustain": "Office of Sustainability",
    "water": "Water Services Department",
    "waste": "Environmental Services Department",
    "service": "311 Customer Service Center",
}

COMMUNITIES: list[Community] = [
    Community("saguaro", "City of Saguaro", "Saguaro", "city", "saguaro.example", "datajson",
              "-111.08,32.05,-110.72,32.38", CITY_DEPARTMENTS),
    Community("mesquite", "City of Mesquite", "Mesquite", "city", "mesquite.example", "datajson",
              "-111.30,32.38,-111.12,32.52", {**CITY_DEPARTMENTS,
                                             "transport": "Transportation and Mobility Department",
                                             "service": "MesquiteConnect 311"}),
    Community("palo-verde", "City of Palo Verde", "Palo Verde", "city", "paloverde.example",
              "datajson", "-110.98,31.88,-110.80,32.02",
              {**CITY_DEPARTMENTS, "transport": "Streets and Traffic Division",
               "human": "Neighborhood Services Department"}),
    Community("ocotillo", "Town of Ocotillo", "Ocotillo", "city", "ocotillo.example", "datajson",
              "-110.70,32.40,-110.61,32.47",
              {k: "Town Manager's Office" for k in CITY_DEPARTMENTS},
              contact_person=("Dana Whitfield", "dana.whitfield@ocotillo.example")),
    Community("cholla", "City of Cholla Springs", "Cholla Springs", "city", "chollasprings.example",
              "datajson", "-111.42,32.10,-111.28,32.22", CITY_DEPARTMENTS),
    Community("agave", "City of Agave", "Agave", "city", "agave.example", "ttl",
              "-110.62,31.95,-110.50,32.05", CITY_DEPARTMENTS),
    Community("sonoran-county", "Sonoran County", "Sonoran County", "county",
              "sonorancounty.example", "datajson", "-111.60,31.70,-110.40,32.70", {
                  "transport": "Department of Transportation", "works": "Public Works",
                  "it": "Information Technology", "police": "Sheriff's Department",
                  "fire": "Office of Emergency Management",
                  "human": "Community and Workforce Development",
                  "permits": "Development Services", "sustain": "Environmental Quality",
                  "water": "Regional Flood Control District", "waste": "Solid Waste Division",
                  "service": "County Service Center", "health": "Health Department"}),
    Community("ridge-county", "Ridge County", "Ridge County", "county", "ridgecounty.example",
              "ttl", "-110.40,31.60,-109.60,32.40", {
                  "transport": "Roads Department", "works": "Public Works",
                  "it": "GIS and Technology", "police": "Sheriff's Office",
                  "fire": "Emergency Services", "human": "Social Services",
                  "permits": "Planning and Zoning", "sustain": "Environmental Health",
                  "water": "Water Resources", "waste": "Solid Waste", "service": "Public Works",
                  "health": "Environmental Health"}),
    Community("valley-transit", "Valley Transit Authority", "Valley Transit", "transit agency",
              "valleytransit.example", "datajson", "-111.45,31.85,-110.55,32.55", short="VTA",
              departments={
                  "transport": "Service Planning", "works": "Facilities and Maintenance",
                  "it": "Transit Technology", "police": "Transit Security",
                  "service": "Customer Experience", "human": "Accessible Services",
                  "sustain": "Sustainability Office"}),
    Community("red-mesa", "Red Mesa Nation", "Red Mesa", "tribal nation", "redmesa.example",
              "ttl", "-111.90,31.55,-111.45,31.95", {
                  "transport": "Department of Transportation",
                  "works": "Community Development", "it": "Information Services",
                  "police": "Red Mesa Police Department", "fire": "Fire and Rescue",
                  "human": "Department of Human Services",
                  "permits": "Community Development", "sustain": "Natural Resources Department",
                  "water": "Natural Resources Department",
                  "waste": "Environmental Protection Office",
                  "service": "Information Services"}),
    Community("state-dot", "State Department of Transportation", "the State", "state agency",
              "statedot.example", "datajson", "-114.80,31.33,-109.05,37.00", short="SDOT",
              departments={
                  "transport": "Transportation Planning Division",
                  "works": "Construction and Maintenance", "it": "Information Technology Group",
                  "police": "Traffic Safety Section", "service": "Traffic Operations Center",
                  "permits": "Encroachment Permits", "sustain": "Environmental Planning"}),
    Community("valley-water", "Valley Water Conservation District", "the District",
              "special district", "valleywater.example", "ttl", "-111.50,31.80,-110.50,32.60",
              short="Valley Water", departments={
                  "water": "Water Operations", "sustain": "Conservation Programs",
                  "it": "GIS and Data Services", "service": "Customer Service",
                  "works": "Engineering"}),
]

BY_ID = {c.id: c for c in COMMUNITIES}


# --- dataset kinds ---------------------------------------------------------------------

Dist = str | tuple[str, str, str]  # a kind ("csv"), or (kind, url template, title)


@dataclass(frozen=True)
class Kind:
    """A kind of dataset; communities publish it with their own id, title and options."""

    id: str
    title: str
    description: str
    keywords: tuple[str, ...]
    domains: tuple[str, ...]
    role: str
    dists: tuple[Dist, ...]
    freq: str = "R/P1M"
    access: str = "public"
    standard: str | None = None
    license: str | None = "cc0"
    rights: str | None = None
    start: int = 2016
    years: tuple[int, ...] = ()


RIGHTS_PII = ("Contains personally identifiable information protected by state privacy law; "
              "available to authorized staff and to partners under a data-sharing agreement.")
RIGHTS_ADDRESS = ("Exact addresses and names are withheld; locations are generalized to the "
                  "block. Full records are released on approved research requests.")
RIGHTS_HMIS = ("Client-level HMIS records are confidential under HUD HMIS privacy standards "
               "and are shared only under a signed data-sharing agreement.")
RIGHTS_TRIPS = ("Trip-level vehicle locations can re-identify riders; access is limited to "
                "agency staff and approved researchers under the operator permit.")
RIGHTS_CUSTOMER = ("Customer account and billing records are exempt from public disclosure; "
                   "aggregated statistics are published separately.")
RIGHTS_HEALTH = ("Protected health information; released only in aggregate under the health "
                 "department's data release policy.")
RIGHTS_SECURITY = ("Critical infrastructure information; withheld from public release for "
                   "security reasons.")

KINDS: dict[str, Kind] = {}


def kind(*args, **kwargs) -> None:
    k = Kind(*args, **kwargs)
    KINDS[k.id] = k


# Transportation
kind("traffic-counts", "Traffic Counts",
     "Average daily traffic volumes from permanent count stations and short-term tube counts "
     "on arterial and collector streets in {place}, by direction and vehicle class.",
     ("traffic", "traffic counts", "volume", "AADT", "roads"),
     ("transportation", "traffic"), "transport",
     ("csv", "geojson"), freq="R/P1Y")
kind("traffic-signals", "Traffic Signals",
     "Locations, controller types and timing plans of signalized intersections in {place}.",
     ("traffic signals", "intersections", "traffic"), ("transportation", "traffic"), "transport",
     ("geojson", "csv"))
kind("street-centerlines", "Street Centerlines",
     "Street centerline network for {place} with names, address ranges, functional class and "
     "speed limits; the base layer for routing and geocoding.",
     ("streets", "centerlines", "GIS", "roads", "address ranges"), ("transportation",),
     "it", ("geojson", "shp"), freq="R/P1M")
kind("pavement-condition", "Pavement Condition Index",
     "Pavement Condition Index (0-100) per street segment from the latest pavement survey in "
     "{place}, with treatment recommendations.",
     ("pavement", "PCI", "roads", "maintenance"), ("transportation",), "works",
     ("csv", "geojson"), freq="R/P1Y")
kind("parking-meters", "Parking Meters",
     "On-street parking meters in {place}: location, rate, time limits and hours of operation.",
     ("parking", "meters", "curb", "rates"),
     ("transportation", "parking"), "transport", ("csv", "geojson"))
kind("parking-citations", "Parking Citations",
     "Parking citations issued in {place}: violation code, fine, block-level location and "
     "date. Plate numbers are removed.",
     ("parking", "citations", "enforcement", "fines"), ("transportation", "parking"), "transport",
     ("csv",), freq="R/P1W")
kind("curb-regulations", "Curb Regulations",
     "Curb zones and their regulations (loading, passenger pick-up, parking, no stopping) with "
     "time rules.",
     ("curb", "curb management", "loading zones", "parking"),
     ("transportation", "parking"), "transport",
     (("api", "https://api.{host}/cds/v1/curbs/zones", "CDS Curbs API: zones"), "geojson"),
     standard="cds", start=2023)
kind("curb-inventory", "Curb Inventory",
     "Inventory of curb space in {place}: loading zones, passenger zones, disabled parking and "
     "no-parking segments, as surveyed in the field.",
     ("curb", "loading zones", "parking", "inventory"), ("transportation", "parking"), "transport",
     ("csv", "kml"), freq="irregular")
kind("work-zones", "Work Zone Data Exchange Feed",
     "Active and planned road work zones with lane closures, restrictions and detours, for "
     "navigation apps and connected vehicles.",
     ("work zones", "road work", "WZDx", "lane closures", "construction"), ("transportation",),
     "transport", (("geojson", "https://{host}/wzdx/v4.2/feed.geojson", "WZDx 4.2 feed"),),
     freq="R/PT1M", standard="wzdx", start=2021)
kind("road-closures", "Road Closures",
     "Planned and emergency road closures and restrictions in {place}, with dates and detours.",
     ("road closures", "detours", "construction", "traffic"), ("transportation",), "works",
     ("csv", "json"), freq="R/P1D")
kind("gtfs-schedule", "GTFS Schedule Feed",
     "Scheduled service of all fixed routes: routes, stops, trips, stop times, calendars and "
     "fares, as a GTFS Schedule zip.",
     ("GTFS", "transit", "bus", "schedules", "routes", "stops"), ("transportation", "transit"),
     "transport", (("zip", "https://gtfs.{host}/gtfs/google_transit.zip", "GTFS zip"),),
     freq="R/P1W", standard="gtfs", start=2012)
kind("gtfs-realtime-vehicles", "GTFS Realtime Vehicle Positions",
     "Real-time positions of in-service buses, updated every 15 seconds (GTFS Realtime).",
     ("GTFS Realtime", "transit", "vehicle positions", "real-time", "bus"),
     ("transportation", "transit"),
     "it", (("protobuf", "https://gtfs.{host}/realtime/vehicle-positions.pb",
             "Vehicle positions protobuf"),), freq="R/PT1M", standard="gtfs-rt", start=2018)
kind("gtfs-realtime-trips", "GTFS Realtime Trip Updates",
     "Predicted arrival and departure times for every active trip (GTFS Realtime).",
     ("GTFS Realtime", "transit", "arrival predictions", "real-time"),
     ("transportation", "transit"),
     "it", (("protobuf", "https://gtfs.{host}/realtime/trip-updates.pb",
             "Trip updates protobuf"),), freq="R/PT1M", standard="gtfs-rt", start=2018)
kind("gtfs-realtime-alerts", "GTFS Realtime Service Alerts",
     "Detours, stop closures and service disruptions as GTFS Realtime alerts.",
     ("GTFS Realtime", "transit", "service alerts", "detours"),
     ("transportation", "transit"), "service",
     (("protobuf", "https://gtfs.{host}/realtime/alerts.pb", "Alerts protobuf"),),
     freq="R/PT1M", standard="gtfs-rt", start=2019)
kind("ridership-by-route", "Ridership by Route",
     "Average weekday, Saturday and Sunday boardings by route and month from automatic "
     "passenger counters.",
     ("ridership", "transit", "boardings", "routes"), ("transportation", "transit"), "transport",
     ("csv", "xlsx"), freq="R/P1M")
kind("ntd-monthly", "NTD Monthly Ridership Report",
     "Monthly unlinked passenger trips, vehicle revenue miles and hours by mode as reported to "
     "the federal transit database.",
     ("NTD", "ridership", "transit", "revenue miles"), ("transportation", "transit"), "transport",
     ("xlsx", "csv"), standard="ntd", start=2014)
kind("on-time-performance", "On-Time Performance",
     "Share of timepoint departures within one minute early to five minutes late, by route, "
     "direction and month.",
     ("on-time performance", "transit", "reliability"), ("transportation", "transit"), "transport",
     ("csv",), start=2017)
kind("bus-stops", "Bus Stops and Amenities",
     "Every bus stop with shelter, bench, lighting and accessibility features.",
     ("bus stops", "transit", "shelters", "accessibility", "ADA"),
     ("transportation", "pedestrian-safety"), "works", ("csv", "geojson"), freq="R/P3M")
kind("paratransit-trips", "Paratransit Trip Records",
     "Door-to-door paratransit trips with rider eligibility ID, pick-up and drop-off addresses "
     "and mobility device flags.",
     ("paratransit", "ADA", "transit", "trips", "personal data"),
     ("transportation", "transit"), "human",
     ("csv",), freq="R/P1D", access="non-public", license=None, rights=RIGHTS_PII, start=2015)
kind("fare-transactions", "Fare Card Transactions",
     "Tap-level fare card transactions with card ID, stop, route and time.",
     ("fares", "fare cards", "transit", "transactions", "personal data"),
     ("transportation", "transit"),
     "it", ("csv",), freq="R/P1D", access="non-public", license=None, rights=RIGHTS_PII,
     start=2019)
kind("park-and-ride", "Park and Ride Lots",
     "Park-and-ride lots with capacity, average occupancy and connecting routes.",
     ("park and ride", "parking", "transit"), ("transportation", "transit"), "transport",
     ("csv", "geojson"), freq="R/P3M")
kind("traffic-speeds", "Segment Travel Speeds",
     "Average and 85th percentile travel speeds per road segment and hour from probe vehicle "
     "data.",
     ("speeds", "travel time", "congestion", "traffic", "probe data"),
     ("transportation", "traffic"),
     "transport", ("csv", "api"), freq="R/P1D", start=2019)
kind("freeway-incidents", "Freeway Incidents",
     "Crashes, stalls and debris on state highways as logged by the traffic operations center, "
     "with lane blockage and clearance times.",
     ("incidents", "freeway", "traffic operations", "crashes"), ("transportation", "public-safety"),
     "service", ("csv", "api"), freq="R/PT1H", start=2015)
kind("traffic-cameras", "Traffic Camera Locations",
     "Closed-circuit traffic cameras with location, direction and live snapshot URL.",
     ("cameras", "CCTV", "traffic"), ("transportation",), "service", ("geojson",),
     freq="R/P3M")
kind("message-signs", "Dynamic Message Signs",
     "Dynamic message sign locations and the messages currently displayed.",
     ("message signs", "DMS", "traveler information"), ("transportation",), "service",
     ("api", "json"), freq="R/PT1M")
kind("bridge-inventory", "Bridge Inventory",
     "Bridges with structure number, year built, deck condition and sufficiency rating.",
     ("bridges", "structures", "condition", "infrastructure"), ("transportation",), "works",
     ("csv", "geojson"), freq="R/P1Y", start=2010)
kind("bike-network", "Bikeway Network",
     "Bike lanes, buffered and protected lanes, paths and bike boulevards in {place}.",
     ("bike lanes", "bicycle", "bikeways", "active transportation"),
     ("transportation", "micromobility"), "transport", ("geojson", "shp"), freq="R/P3M")
kind("traffic-calming", "Traffic Calming Requests",
     "Resident requests for speed humps, chicanes and other traffic calming, with study "
     "results and status.",
     ("traffic calming", "speeding", "neighborhoods", "speed humps"),
     ("transportation", "pedestrian-safety"), "transport", ("csv",), freq="R/P1M", start=2018)

# Micromobility
kind("gbfs-feed", "Shared Micromobility GBFS Feed",
     "Real-time availability of shared e-scooters and e-bikes: stations, vehicles, pricing and "
     "geofencing zones, as an auto-discovery feed.",
     ("GBFS", "micromobility", "scooters", "bike share", "real-time"), ("micromobility",),
     "transport", (("json", "https://gbfs.{host}/gbfs.json", "GBFS auto-discovery"),),
     freq="R/PT1M", standard="gbfs", start=2019)
kind("mds-trips", "Shared Micromobility Trips (MDS)",
     "Trip records reported by permitted scooter and e-bike operators: start, end, route and "
     "duration.",
     ("MDS", "micromobility", "trips", "scooters", "e-bikes"), ("micromobility",), "transport",
     (("api", "https://mds.{host}/provider/trips", "MDS trips API"),), freq="R/PT1H",
     access="restricted public", rights=RIGHTS_TRIPS, standard="mds", start=2019)
kind("mds-vehicle-status", "Micromobility Vehicle Status Changes (MDS)",
     "Vehicle status events (available, reserved, on trip, non-operational) from operators.",
     ("MDS", "micromobility", "vehicle status", "scooters"), ("micromobility",), "transport",
     (("api", "https://mds.{host}/provider/events", "MDS events API"),), freq="R/PT1H",
     access="restricted public", rights=RIGHTS_TRIPS, standard="mds", start=2020)
kind("scooter-trips-summary", "E-Scooter Trips by Month",
     "Monthly shared e-scooter trips, distance and median duration by operator and district.",
     ("scooters", "micromobility", "trips", "shared mobility"), ("micromobility",),
     "transport", ("csv",), start=2019)
kind("micromobility-parking", "Micromobility Parking Corrals",
     "Designated parking corrals for shared scooters and bikes.",
     ("micromobility", "parking", "scooters", "corrals"), ("micromobility",), "transport",
     ("geojson", "csv"), freq="R/P3M", start=2020)
kind("scooter-complaints", "Scooter Complaints",
     "Resident complaints about shared scooters (blocking sidewalks, riding on sidewalks, "
     "abandoned vehicles) and their resolution by operators.",
     ("scooters", "micromobility", "complaints", "sidewalks"),
     ("micromobility", "pedestrian-safety"), "service", ("csv",), freq="R/P1W", start=2020)
kind("bike-counts", "Bicycle and Pedestrian Counts",
     "Automated counter totals of people walking and biking at trail and street locations.",
     ("bicycle counts", "pedestrian counts", "active transportation", "micromobility"),
     ("micromobility", "pedestrian-safety"), "transport", ("csv", "api"), freq="R/P1D",
     start=2017)
kind("bike-share-stations", "Bike Share Stations",
     "Docking stations of the bike share system with capacity and opening date.",
     ("bike share", "stations", "micromobility", "bicycles"), ("micromobility",), "transport",
     ("geojson", "csv"), freq="R/P3M", start=2018)

# Street lighting
kind("streetlight-inventory", "Streetlight Inventory",
     "Every streetlight pole and fixture in {place}: lamp type (LED, HPS), wattage, pole "
     "material, owner and install date.",
     ("streetlights", "street lighting", "LED", "poles", "inventory"), ("street-lighting",),
     "works", ("geojson", "csv"), freq="R/P1M", start=2014)
kind("streetlight-outages", "Streetlight Outages",
     "Reported streetlight outages and repairs: location, report date, cause and days to "
     "repair.",
     ("streetlights", "outages", "street lighting", "repairs", "maintenance"),
     ("street-lighting",), "works", ("csv",), freq="R/P1D", start=2017)
kind("streetlight-sensors", "Smart Streetlight Sensor Readings",
     "Power draw, lamp status and dimming level reported every 15 minutes by networked "
     "streetlight controllers.",
     ("streetlights", "sensors", "IoT", "SensorThings", "street lighting", "energy"),
     ("street-lighting",), "works",
     (("api", "https://sensors.{host}/v1.1/Datastreams", "SensorThings Datastreams"),),
     freq="R/PT1M", standard="sensorthings", start=2021)
kind("streetlight-energy", "Streetlight Energy Use",
     "Monthly kilowatt-hours and cost of street lighting by utility account.",
     ("streetlights", "energy", "electricity", "street lighting"),
     ("street-lighting", "environment"), "works", ("csv",), start=2015)
kind("led-conversion", "LED Streetlight Conversion Progress",
     "Streetlights converted to LED by district and month, with estimated energy savings.",
     ("LED", "streetlights", "energy savings", "street lighting"),
     ("street-lighting", "environment"), "sustain", ("csv", "xlsx"), start=2018)
kind("copper-wire-theft", "Streetlight Copper Wire Theft",
     "Incidents of copper wire stripped from streetlight circuits: location, circuit, repair "
     "cost and days dark.",
     ("copper theft", "streetlights", "vandalism", "infrastructure"),
     ("vandalism", "street-lighting"), "works", ("csv",), freq="R/P1M", start=2019)

# Recycling
kind("recycling-tonnage", "Recycling and Waste Tonnage",
     "Monthly tons of refuse, recycling, green waste and bulk collected, with diversion rate.",
     ("recycling", "solid waste", "tonnage", "diversion"), ("street-lighting", "energy"), "waste",
     ("csv", "xlsx"), start=2012)
kind("collection-routes", "Collection Routes and Days",
     "Residential trash and recycling collection routes with pick-up day by area.",
     ("recycling", "trash", "collection", "routes"), ("recycling",), "waste",
     ("geojson", "shp"), freq="R/P1Y")
kind("contamination-audits", "Recycling Contamination Audits",
     "Results of curbside recycling cart audits: contamination rate, top contaminants and "
     "tags issued, by route.",
     ("recycling", "contamination", "audits", "curbside"), ("recycling",), "waste",
     ("csv",), start=2019)
kind("drop-off-centers", "Recycling Drop-off Centers",
     "Drop-off locations for recycling, e-waste, household hazardous waste and green waste.",
     ("recycling", "drop-off", "e-waste", "hazardous waste"), ("recycling",), "waste",
     ("geojson", "csv"), freq="R/P1Y")
kind("bulk-pickup", "Bulk Trash Pickup Requests",
     "Scheduled bulk and brush pickups with request date, collection date and tons collected.",
     ("bulk trash", "brush", "collection", "service requests"), ("recycling",), "waste",
     ("csv",), freq="R/P1W", start=2018)
kind("landfill-diversion", "Landfill Diversion Indicators",
     "Share of municipal solid waste recycled, composted or landfilled per capita, reported "
     "as city indicators.",
     ("landfill", "diversion", "ISO 37120", "indicators", "recycling"),
     ("recycling", "environment"), "waste", ("csv",), freq="R/P1Y", standard="iso37120",
     start=2015)
kind("hhw-events", "Household Hazardous Waste Events",
     "Collection events for household hazardous waste with participants and pounds collected.",
     ("hazardous waste", "recycling", "events"), ("recycling", "environment"), "waste",
     ("csv",), freq="R/P3M", start=2016)

# Pedestrian safety
kind("traffic-crashes", "Traffic Crashes",
     "Reported traffic collisions with severity, manner of collision, road conditions and "
     "people involved (no names).",
     ("crashes", "collisions", "traffic safety", "Vision Zero", "injuries"),
     ("pedestrian-safety", "transportation"), "police", ("csv", "geojson"), freq="R/P1W",
     standard="mmucc", start=2014)
kind("pedestrian-crashes", "Pedestrian and Bicyclist Crashes",
     "Crashes involving people walking or biking, with severity, lighting and location type.",
     ("pedestrians", "crashes", "bicyclists", "traffic safety", "Vision Zero"),
     ("pedestrian-safety",), "transport", ("csv", "geojson"), freq="R/P1M", start=2015)
kind("high-injury-network", "High Injury Network",
     "Street segments where most fatal and serious-injury crashes happen, used to prioritize "
     "safety projects.",
     ("high injury network", "Vision Zero", "traffic safety", "crashes"),
     ("pedestrian-safety",), "transport", ("geojson", "shp"), freq="R/P1Y", start=2019)
kind("sidewalk-inventory", "Sidewalk Network",
     "Sidewalks, crossings and curb ramps as a routable pedestrian network, with width, "
     "surface and gaps.",
     ("sidewalks", "pedestrians", "accessibility", "curb ramps", "OpenSidewalks"),
     ("pedestrian-safety",), "works", ("geojson",), freq="R/P3M", standard="opensidewalks",
     start=2020)
kind("sidewalk-gaps", "Sidewalk Gaps",
     "Missing sidewalk segments along arterial and collector streets, ranked for funding.",
     ("sidewalks", "gaps", "pedestrians", "accessibility"), ("pedestrian-safety",), "works",
     ("csv", "geojson"), freq="R/P1Y", start=2018)
kind("crosswalks", "Marked Crosswalks",
     "Marked crosswalks with type (ladder, HAWK, signalized) and last repaint date.",
     ("crosswalks", "pedestrians", "HAWK", "markings"), ("pedestrian-safety",), "transport",
     ("geojson", "csv"), freq="R/P3M")
kind("school-zones", "School Zones",
     "School speed zones with flashing beacons, crossing guards and hours.",
     ("school zones", "pedestrians", "children", "speed limits"), ("pedestrian-safety",),
     "transport", ("geojson",), freq="R/P1Y")
kind("ada-ramps", "ADA Curb Ramp Inventory",
     "Curb ramps with compliance status against ADA standards and planned upgrades.",
     ("ADA", "curb ramps", "accessibility", "pedestrians"), ("pedestrian-safety",), "works",
     ("csv", "geojson"), freq="R/P3M", start=2017)
kind("pedestrian-counts", "Pedestrian Counts",
     "Pedestrian volumes at intersections from video and manual counts.",
     ("pedestrian counts", "walking", "pedestrians"), ("pedestrian-safety",), "transport",
     ("csv",), freq="R/P3M", start=2019)
kind("vision-zero-projects", "Vision Zero Projects",
     "Safety projects (road diets, signals, lighting, crossings) with cost, status and "
     "before/after crash counts.",
     ("Vision Zero", "safety projects", "traffic safety"), ("pedestrian-safety",),
     "transport", ("csv",), freq="R/P3M", start=2020)

# Water conservation
kind("water-consumption", "Water Consumption by Neighborhood",
     "Monthly residential and commercial water use in gallons per capita per day, by "
     "neighborhood or ZIP code.",
     ("water use", "consumption", "water conservation", "GPCD"), ("water-conservation",),
     "water", ("csv",), start=2010)
kind("water-meter-readings", "Smart Water Meter Readings",
     "Hourly interval reads from advanced metering infrastructure, per meter, as time series. "
     "Meter IDs link to customer accounts.",
     ("water meters", "AMI", "smart meters", "WaterML", "consumption", "personal data"),
     ("water-conservation",), "water",
     (("xml", "https://ami.{host}/waterml/meters", "WaterML 2.0 time series"),),
     freq="R/PT1H", access="non-public", license=None, rights=RIGHTS_CUSTOMER,
     standard="waterml", start=2020)
kind("utility-customer-accounts", "Utility Customer Accounts",
     "Water utility customer accounts: account holder name, service address, billing history, "
     "payment status and shut-off notices.",
     ("customers", "billing", "accounts", "utilities", "personal data"),
     ("water-conservation",), "service", ("csv",), freq="R/P1D", access="non-public",
     license=None, rights=RIGHTS_CUSTOMER, start=2008)
kind("conservation-rebates", "Water Conservation Rebates",
     "Rebates paid for turf removal, smart irrigation controllers, rainwater harvesting and "
     "high-efficiency toilets, with participant address.",
     ("rebates", "water conservation", "turf removal", "rainwater harvesting"),
     ("water-conservation",), "sustain", ("csv",), access="restricted public",
     rights=RIGHTS_ADDRESS, start=2012)
kind("well-levels", "Groundwater Well Levels",
     "Depth to groundwater at monitoring wells, as daily time series.",
     ("groundwater", "wells", "aquifer", "WaterML", "water levels"),
     ("water-conservation", "environment"), "water",
     (("xml", "https://hydro.{host}/waterml/wells", "WaterML 2.0 wells"), "csv"),
     freq="R/P1D", standard="waterml", start=1995)
kind("reservoir-levels", "Reservoir Storage",
     "Daily reservoir elevation, storage and releases.",
     ("reservoirs", "storage", "water supply"), ("water-conservation",), "water",
     ("csv", "api"), freq="R/P1D", start=2000)
kind("main-breaks", "Water Main Breaks",
     "Water main breaks with pipe material, diameter, age and water lost.",
     ("water mains", "breaks", "leaks", "infrastructure"), ("water-conservation",), "water",
     ("csv", "geojson"), freq="R/P1W", start=2011)
kind("reclaimed-water", "Reclaimed Water Deliveries",
     "Monthly reclaimed water delivered to parks, golf courses and schools.",
     ("reclaimed water", "reuse", "irrigation"), ("water-conservation",), "water", ("csv",),
     start=2009)
kind("drought-stages", "Drought Stage Declarations",
     "Drought stage declarations and the restrictions in force.",
     ("drought", "restrictions", "water supply"), ("water-conservation",), "water", ("csv",),
     freq="irregular", start=2002)
kind("irrigation-schedules", "Outdoor Watering Schedules",
     "Allowed outdoor watering days and hours by address range and season.",
     ("irrigation", "watering schedule", "water conservation"), ("water-conservation",),
     "sustain", ("csv", "json"), freq="R/P1Y", start=2014)
kind("leak-alerts", "Customer Leak Alerts",
     "Continuous-flow leak alerts sent to customers from smart meter data, with account and "
     "response.",
     ("leaks", "alerts", "smart meters", "customers", "personal data"),
     ("water-conservation",), "service", ("csv",), freq="R/P1D", access="non-public",
     license=None, rights=RIGHTS_CUSTOMER, start=2021)

# Homelessness
kind("shelter-beds", "Shelter Bed Availability",
     "Nightly available beds by shelter and population served (adults, families, youth).",
     ("shelter", "beds", "homelessness", "availability"), ("homelessness",), "human",
     ("csv", "api"), freq="R/P1D", start=2020)
kind("services-directory", "Homeless Services Directory",
     "Organizations, locations and services for people experiencing homelessness (shelter, "
     "meals, health, benefits).",
     ("homeless services", "HSDS", "Open Referral", "social services", "directory"),
     ("homelessness",), "human",
     (("api", "https://api.{host}/hsds/v3/services", "HSDS API"), "zip"), freq="R/P1W",
     standard="hsds", start=2019)
kind("shelter-intake", "Shelter Intake Records",
     "Client-level shelter intake and exit records: name, date of birth, prior residence, "
     "disabilities, household composition and destination at exit.",
     ("shelter", "intake", "HMIS", "homelessness", "clients", "personal data"),
     ("homelessness",), "human", ("csv",), freq="R/P1D", access="non-public", license=None,
     rights=RIGHTS_HMIS, standard="hmis", start=2014)
kind("pit-count", "Point-in-Time Homeless Count",
     "Annual point-in-time count of sheltered and unsheltered people by household type and "
     "subpopulation.",
     ("point-in-time count", "PIT", "homelessness", "census"), ("homelessness",), "human",
     ("csv", "pdf"), freq="R/P1Y", start=2011)
kind("encampment-reports", "Encampment Reports",
     "Reports of encampments with location, size estimate, outreach visits and clean-up "
     "actions.",
     ("encampments", "homelessness", "outreach", "service requests"), ("homelessness",),
     "service", ("csv",), freq="R/P1D", access="restricted public", rights=RIGHTS_ADDRESS,
     start=2021)
kind("outreach-contacts", "Street Outreach Contacts",
     "Contacts made by street outreach teams: client identifier, location, needs assessed and "
     "referrals.",
     ("outreach", "homelessness", "referrals", "clients", "personal data"), ("homelessness",),
     "human", ("csv",), freq="R/P1D", access="non-public", license=None, rights=RIGHTS_HMIS,
     standard="hmis", start=2018)
kind("coordinated-entry", "Coordinated Entry Assessments",
     "Vulnerability assessment scores and housing referrals from coordinated entry.",
     ("coordinated entry", "VI-SPDAT", "housing", "homelessness", "personal data"),
     ("homelessness",), "human", ("csv",), freq="R/P1W", access="non-public", license=None,
     rights=RIGHTS_HMIS, standard="hmis", start=2017)
kind("cooling-centers", "Cooling Centers and Hydration Stations",
     "Heat relief sites open during extreme heat, with hours and services.",
     ("heat relief", "cooling centers", "homelessness", "extreme heat"),
     ("homelessness", "environment"), "human", ("geojson", "csv"), freq="R/P1W", start=2019)
kind("housing-placements", "Housing Placements",
     "Monthly placements from homelessness into permanent housing by program type.",
     ("housing", "placements", "homelessness", "rapid rehousing"),
     ("homelessness", "housing"), "human",
     ("csv",), start=2016)

# Vandalism
kind("graffiti-reports", "Graffiti Reports",
     "Graffiti reported by residents and crews: location, surface, size and removal date.",
     ("graffiti", "vandalism", "service requests", "abatement"), ("vandalism",), "service",
     ("csv",), freq="R/P1D", start=2015)
kind("graffiti-abatement", "Graffiti Abatement Work Orders",
     "Crew work orders for graffiti removal: square feet removed, method, cost and time to "
     "abate.",
     ("graffiti", "abatement", "vandalism", "work orders"), ("vandalism",), "works",
     ("csv",), freq="R/P1W", start=2016)
kind("transit-vandalism", "Vandalism on Vehicles and Stops",
     "Vandalism incidents on buses, light rail and at stops and shelters, with repair costs.",
     ("vandalism", "transit", "bus shelters", "security"), ("vandalism", "transportation"),
     "police", ("csv",), freq="R/P1W", start=2017)
kind("property-damage", "Public Property Damage Reports",
     "Damage to public property (parks, signs, facilities) with cause, cost and insurance "
     "recovery.",
     ("property damage", "vandalism", "parks", "risk management"), ("vandalism",), "works",
     ("csv",), freq="R/P1M", start=2016)
kind("park-vandalism", "Park Vandalism Incidents",
     "Vandalism incidents in parks and recreation facilities with repair cost.",
     ("parks", "vandalism", "repairs"), ("vandalism",), "works", ("csv",), start=2018)

# Digital services
kind("service-requests", "311 Service Requests",
     "Service requests submitted by phone, web and app (potholes, streetlights, graffiti, "
     "illegal dumping) with status and closure time.",
     ("311", "service requests", "Open311", "potholes", "streetlights", "graffiti"),
     ("digital-services",), "service",
     (("api", "https://311.{host}/open311/v2/requests.json", "Open311 GeoReport v2"), "csv"),
     freq="R/PT1H", standard="open311", start=2014)
kind("service-request-types", "Service Request Types",
     "The catalog of service request types residents can submit, with the department "
     "responsible and target response time.",
     ("311", "service catalog", "Open311"), ("digital-services",), "service",
     (("api", "https://311.{host}/open311/v2/services.json", "Open311 services"),),
     freq="R/P3M", standard="open311", start=2014)
kind("website-analytics", "Website Analytics",
     "Daily page views, visitors, devices and top pages of the official website.",
     ("website", "analytics", "digital services", "page views"), ("digital-services",), "it",
     ("csv", "api"), freq="R/P1D", start=2018)
kind("digital-equity-survey", "Digital Equity Survey",
     "Household survey on internet access, devices and digital skills, weighted by tract.",
     ("digital equity", "broadband", "survey", "digital divide"), ("digital-services",), "it",
     ("csv", "pdf"), freq="irregular", start=2021)
kind("public-wifi", "Public Wi-Fi Hotspots",
     "Free public Wi-Fi locations in libraries, parks and community centers.",
     ("Wi-Fi", "broadband", "hotspots", "digital inclusion"),
     ("digital-services", "broadband"), "it",
     ("geojson", "csv"), freq="R/P3M", start=2017)
kind("portal-usage", "Open Data Portal Usage",
     "Views and downloads per dataset on the open data portal, by month.",
     ("open data", "portal", "downloads", "usage"), ("digital-services",), "it", ("csv",),
     start=2016)
kind("online-services", "Online Transactions by Service",
     "Transactions completed online versus in person for permits, payments and licenses.",
     ("digital services", "online payments", "e-government"), ("digital-services",), "it",
     ("csv",), start=2017)
kind("broadband-availability", "Broadband Availability",
     "Advertised broadband speeds and providers by census block.",
     ("broadband", "internet", "digital divide"), ("digital-services", "broadband"), "it",
     ("csv", "geojson"), freq="R/P1Y", start=2019)
kind("it-tickets", "IT Help Desk Tickets",
     "Internal help desk tickets with requester, asset, category and resolution notes.",
     ("IT", "help desk", "tickets", "internal"), ("digital-services",), "it", ("csv",),
     freq="R/P1D", access="non-public", license=None,
     rights="Internal operational records with employee names; not published.", start=2016)

# Public safety
kind("calls-911", "911 Calls",
     "Emergency 911 call records with caller phone number, incident address, call type, "
     "priority and dispatch times.",
     ("911", "emergency calls", "dispatch", "public safety", "personal data"),
     ("public-safety",), "police", ("csv",), freq="R/P1D", access="non-public", license=None,
     rights=RIGHTS_PII, start=2012)
kind("calls-for-service", "Police Calls for Service",
     "Police calls for service with call type, priority, response time and block-level "
     "location.",
     ("calls for service", "police", "response times", "public safety"), ("public-safety",),
     "police", ("csv",), freq="R/P1D", access="restricted public", rights=RIGHTS_ADDRESS,
     start=2014)
kind("crime-incidents", "Reported Crime Incidents",
     "Reported offenses with date, offense group and block-level location.",
     ("crime", "NIBRS", "police", "incidents", "public safety"), ("public-safety",), "police",
     ("csv", "api"), freq="R/P1D", standard="nibrs", start=2016)
kind("fire-incidents", "Fire and EMS Incidents",
     "Fire and emergency medical incidents with type, units, response time and station area.",
     ("fire", "EMS", "incidents", "response times", "public safety"), ("public-safety",),
     "fire", ("csv",), freq="R/P1D", start=2013)
kind("ems-patient-records", "EMS Patient Care Records",
     "Electronic patient care reports: patient demographics, chief complaint, vitals, "
     "treatment and transport destination.",
     ("EMS", "patient care", "health", "personal data"),
     ("public-safety", "public-health"), "fire", ("csv",),
     freq="R/P1D", access="non-public", license=None, rights=RIGHTS_HEALTH, start=2015)
kind("use-of-force", "Police Use of Force",
     "Use-of-force incidents with force type, subject injuries and officer demographics.",
     ("use of force", "police", "accountability", "public safety"), ("public-safety",),
     "police", ("csv",), freq="R/P3M", start=2016)
kind("traffic-stops", "Traffic Stops",
     "Traffic stops with reason, outcome, searches and driver demographics.",
     ("traffic stops", "police", "stops", "racial equity"),
     ("public-safety", "transportation"), "police", ("csv",), freq="R/P1M", start=2017)
kind("fire-stations", "Fire Stations",
     "Fire stations with apparatus and response districts.",
     ("fire stations", "emergency response", "public safety"), ("public-safety",), "fire",
     ("geojson",), freq="R/P1Y")
kind("emergency-shelters", "Emergency Evacuation Shelters",
     "Designated shelters for evacuations, with capacity and accessibility.",
     ("evacuation", "shelters", "emergency management"), ("public-safety", "emergency-management"),
     "fire", ("geojson", "csv"), freq="R/P1Y", start=2018)

# Permits and buildings
kind("building-permits", "Building Permits",
     "Issued building permits with type, valuation, contractor, square footage and "
     "inspection status.",
     ("permits", "building permits", "BLDS", "construction", "development"),
     ("permitting",), "permits", ("csv", "api"), freq="R/P1D", standard="blds",
     start=2010)
kind("building-inspections", "Building Inspections",
     "Inspections scheduled and completed with inspection type and result.",
     ("inspections", "building", "permits", "construction"), ("permitting",),
     "permits", ("csv",), freq="R/P1D", start=2012)
kind("code-violations", "Code Enforcement Cases",
     "Property maintenance and zoning code cases with violation type, status and "
     "complainant contact.",
     ("code enforcement", "violations", "property maintenance", "blight"),
     ("permitting", "vandalism"), "permits", ("csv",), freq="R/P1D",
     access="restricted public", rights=RIGHTS_ADDRESS, start=2013)
kind("certificates-of-occupancy", "Certificates of Occupancy",
     "Certificates of occupancy issued for new buildings and changes of use.",
     ("certificates of occupancy", "buildings", "permits"), ("permitting",), "permits",
     ("csv",), freq="R/P1W", start=2012)
kind("business-licenses", "Business Licenses",
     "Active business licenses with business type and location.",
     ("business licenses", "businesses", "economic development"), ("permitting",),
     "permits", ("csv",), freq="R/P1W", start=2011)
kind("zoning", "Zoning Districts",
     "Zoning districts and overlay zones.",
     ("zoning", "land use", "planning", "GIS"), ("permitting", "land-use"), "permits",
     ("geojson", "shp"), freq="irregular")
kind("parcels", "Parcels",
     "Tax parcels with parcel number, land use code and assessed value.",
     ("parcels", "property", "assessor", "GIS", "land use"), ("permitting", "land-use"), "it",
     ("geojson", "shp"), freq="R/P1M", start=2005)
kind("planning-cases", "Planning and Zoning Cases",
     "Rezonings, variances, subdivisions and site plans under review.",
     ("planning", "rezoning", "variances", "development review"), ("permitting",),
     "permits", ("csv",), freq="R/P1W", start=2015)
kind("short-term-rentals", "Short-Term Rental Permits",
     "Registered short-term rentals with permit status and number of bedrooms.",
     ("short-term rentals", "permits", "housing"), ("permitting",), "permits",
     ("csv",), freq="R/P1M", start=2020)
kind("right-of-way-permits", "Right-of-Way Permits",
     "Permits for work in the public right of way (utility cuts, driveways, lane closures).",
     ("right of way", "permits", "utility cuts", "lane closures"),
     ("permitting", "transportation"), "permits", ("csv", "geojson"), freq="R/P1D",
     start=2016)
kind("solar-permits", "Residential Solar Permits",
     "Rooftop solar installation permits with system size in kilowatts.",
     ("solar", "permits", "renewable energy"), ("permitting", "energy"),
     "permits", ("csv",), freq="R/P1W", start=2012)

# Environment
kind("air-quality-sensors", "Air Quality Sensor Network",
     "PM2.5, PM10, ozone and temperature from low-cost air quality sensors.",
     ("air quality", "PM2.5", "ozone", "sensors", "SensorThings", "IoT"),
     ("environment", "air-quality"),
     "sustain",
     (("api", "https://sensors.{host}/v1.1/Observations", "SensorThings Observations"),),
     freq="R/PT1M", standard="sensorthings", start=2020)
kind("air-quality-monitoring", "Air Quality Monitoring",
     "Hourly pollutant concentrations at regulatory monitoring stations.",
     ("air quality", "ozone", "PM10", "monitoring"), ("environment", "air-quality"), "sustain",
     ("csv",), freq="R/PT1H", start=2000)
kind("tree-canopy", "Tree Canopy",
     "Tree canopy cover by census block group from aerial imagery.",
     ("trees", "canopy", "urban forest", "shade", "heat"), ("environment",), "sustain",
     ("geojson", "shp"), freq="irregular", start=2021)
kind("street-trees", "Street Tree Inventory",
     "Trees in the public right of way and parks: species, size, condition.",
     ("trees", "urban forest", "inventory"), ("environment",), "works", ("csv", "geojson"),
     freq="R/P3M", start=2016)
kind("heat-island", "Urban Heat Island Map",
     "Afternoon land surface temperatures and heat vulnerability index by neighborhood.",
     ("heat", "urban heat island", "temperature", "climate"), ("environment",), "sustain",
     ("geojson",), freq="irregular", start=2022)
kind("ghg-inventory", "Greenhouse Gas Inventory",
     "Community and municipal operations greenhouse gas emissions by sector.",
     ("greenhouse gas", "emissions", "climate"), ("environment",), "sustain",
     ("csv", "pdf"), freq="R/P1Y", start=2010)
kind("stormwater-outfalls", "Stormwater Outfalls",
     "Stormwater outfalls and inspection results under the MS4 permit.",
     ("stormwater", "outfalls", "MS4", "water quality"), ("environment",), "works",
     ("geojson", "csv"), freq="R/P1Y", start=2014)
kind("flood-zones", "Floodplains",
     "Regulatory floodplains and floodways.",
     ("flood", "floodplain", "FEMA", "hazards"), ("environment",), "water",
     ("geojson", "shp"), freq="irregular", start=2008)
kind("heat-illness", "Heat-Related Illness Cases",
     "Heat-associated emergency department visits and deaths with age, residence and "
     "housing status.",
     ("heat", "health", "deaths", "homelessness", "personal data"),
     ("environment", "homelessness"), "health", ("csv",), freq="R/P1W", access="non-public",
     license=None, rights=RIGHTS_HEALTH, start=2017)
kind("dust-control", "Dust Control Permits",
     "Dust control permits for earthmoving sites and PM10 complaints.",
     ("dust", "PM10", "permits", "air quality"), ("environment", "homelessness", "public-health"),
     "sustain", ("csv",), freq="R/P1W", start=2014)
kind("illegal-dumping", "Illegal Dumping Reports",
     "Reports of illegal dumping on public land and in washes, with clean-up tonnage.",
     ("illegal dumping", "clean-up", "vandalism", "solid waste"),
     ("vandalism", "recycling", "environment"), "waste", ("csv",), freq="R/P1W", start=2018)
kind("critical-facilities", "Critical Infrastructure Facilities",
     "Pump stations, substations, reservoirs and communications sites with security details.",
     ("critical infrastructure", "facilities", "security"), ("public-safety",), "works",
     ("shp",), freq="R/P1Y", access="non-public", license=None, rights=RIGHTS_SECURITY,
     start=2015)


# --- who publishes what ----------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """One community's publication of a kind, with whatever it does differently."""

    kind: str
    id: str | None = None
    title: str | None = None
    standard: str | None | bool = True  # True: the kind's; None/False: no standard
    role: str | None = None
    access: str | None = None
    years: tuple[int, ...] = ()
    dists: tuple[Dist, ...] | None = None
    note: str | None = None  # appended to the description
    description: str | None = None  # replaces the kind's description
    derived_from: tuple[str, ...] = field(default=())
    stale: bool = False  # not updated for years (a realistic quality problem)


def U(kind: str, id: str | None = None, title: str | None = None, **kw) -> Use:
    return Use(kind, id, title, **kw)


STREETLIGHT_THINGS = "https://sensors.{host}/v1.1/Things?$filter=properties/type eq 'streetlight'"
NO = False  # publishes in the domain without the standard: an adoption gap

PUBLISHES: dict[str, list[Use]] = {
    "saguaro": [
        U("traffic-counts", years=(2021, 2022, 2023, 2024, 2025), standard="tmg"),
        U("traffic-signals"), U("street-centerlines", standard="geojson"),
        U("pavement-condition"), U("parking-meters"),
        U("parking-citations", years=(2023, 2024, 2025)),
        U("curb-regulations"), U("work-zones"), U("road-closures"),
        U("bike-network", standard="geojson"), U("traffic-calming"),
        U("gbfs-feed", "shared-micromobility-gbfs"), U("mds-trips"), U("mds-vehicle-status"),
        U("scooter-trips-summary"), U("micromobility-parking"), U("scooter-complaints"),
        U("bike-counts"),
        U("streetlight-inventory", standard="fiware"),
        U("streetlight-outages", "streetlight-outages", standard="sensorthings",
          dists=(("api", STREETLIGHT_THINGS, "SensorThings Things"), "csv"),
          note="Outages are detected by networked lamp controllers and reported through the "
               "SensorThings API as well as by residents through 311."),
        U("streetlight-sensors"), U("streetlight-energy"), U("led-conversion"),
        U("copper-wire-theft"),
        U("recycling-tonnage"), U("collection-routes"), U("contamination-audits"),
        U("drop-off-centers"), U("bulk-pickup"), U("landfill-diversion"),
        U("traffic-crashes", years=(2022, 2023, 2024, 2025)),
        U("pedestrian-crashes"), U("high-injury-network"), U("sidewalk-inventory"),
        U("crosswalks"), U("school-zones"), U("ada-ramps"), U("vision-zero-projects"),
        U("water-consumption"), U("water-meter-readings"), U("utility-customer-accounts"),
        U("conservation-rebates"), U("main-breaks"), U("reclaimed-water"),
        U("shelter-beds"), U("services-directory"), U("shelter-intake"),
        U("pit-count", years=(2023, 2024, 2025)), U("encampment-reports"),
        U("outreach-contacts"), U("cooling-centers"), U("housing-placements"),
        U("graffiti-reports"), U("graffiti-abatement"), U("property-damage"),
        U("service-requests", "311-service-requests"), U("service-request-types"),
        U("website-analytics"), U("digital-equity-survey"), U("public-wifi"),
        U("portal-usage"), U("online-services"), U("it-tickets"),
        U("calls-911", "911-calls"), U("calls-for-service"), U("crime-incidents"),
        U("fire-incidents"), U("ems-patient-records"), U("use-of-force"), U("traffic-stops"),
        U("fire-stations"),
        U("building-permits"), U("building-inspections"), U("code-violations"),
        U("certificates-of-occupancy"), U("business-licenses"), U("zoning"),
        U("planning-cases"), U("short-term-rentals"), U("right-of-way-permits"),
        U("solar-permits"),
        U("air-quality-sensors"), U("tree-canopy"), U("street-trees"), U("heat-island"),
        U("ghg-inventory"), U("stormwater-outfalls"), U("illegal-dumping"),
        U("critical-facilities"),
    ],
    "mesquite": [
        U("traffic-counts", years=(2023, 2024, 2025), standard=NO),
        U("traffic-signals"), U("street-centerlines"), U("pavement-condition"),
        U("parking-citations", title="Parking Tickets Issued", id="parking-tickets"),
        U("curb-inventory"), U("road-closures", "street-closures", "Street Closures"),
        U("bike-network", "bike-lanes", "Bike Lanes"),
        U("gbfs-feed", "scooter-share-gbfs", "Scooter Share GBFS Feed"),
        U("scooter-trips-summary", "scooter-trips-monthly"),
        U("streetlight-inventory", "streetlights", "Streetlights", standard=NO),
        U("streetlight-outages", "street-light-outage-reports", "Street Light Outage Reports",
          note="Reports come from residents through MesquiteConnect 311."),
        U("recycling-tonnage", "solid-waste-tonnage", "Solid Waste and Recycling Tonnage"),
        U("collection-routes"), U("contamination-audits", "recycling-cart-audits",
                                  "Recycling Cart Audits"),
        U("traffic-crashes", "collisions", "Traffic Collisions", standard=NO),
        U("pedestrian-crashes"), U("crosswalks"), U("sidewalk-gaps"),
        U("water-consumption"), U("utility-customer-accounts", "utility-billing-accounts",
                                  "Utility Billing Accounts"),
        U("conservation-rebates"), U("main-breaks"),
        U("shelter-beds", "shelter-capacity", "Emergency Shelter Capacity"),
        U("shelter-intake", "shelter-intake-log", "Shelter Intake Log", standard=NO),
        U("pit-count", years=(2024, 2025)),
        U("graffiti-reports", "graffiti", "Graffiti Removal Requests"),
        U("park-vandalism"),
        U("service-requests", "mesquiteconnect-requests", "MesquiteConnect 311 Requests"),
        U("website-analytics"), U("public-wifi"),
        U("calls-911", "cad-911-calls", "CAD 911 Call Records"),
        U("calls-for-service"), U("crime-incidents", standard=NO), U("fire-incidents"),
        U("building-permits", "permits-issued", "Permits Issued"),
        U("building-inspections"), U("code-violations"), U("business-licenses"), U("zoning"),
        U("air-quality-monitoring"), U("street-trees"), U("illegal-dumping"),
    ],
    "palo-verde": [
        U("traffic-counts", years=(2024, 2025), standard=NO,
          title="Traffic Volume Counts", id="traffic-volumes"),
        U("street-centerlines"), U("parking-meters"),
        U("mds-trips", "scooter-trips", "Scooter Trip Data"),
        U("scooter-complaints"),
        U("streetlight-outages", "streetlight-repair-requests",
          "Streetlight Repair Requests", role="service"),
        U("streetlight-inventory", standard=NO),
        U("recycling-tonnage"), U("bulk-pickup"), U("drop-off-centers"),
        U("pedestrian-crashes", "pedestrian-collisions", "Pedestrian Collisions"),
        U("school-zones"), U("ada-ramps"), U("sidewalk-gaps"),
        U("water-consumption"), U("main-breaks"),
        U("services-directory", "community-resources", "Community Resource Guide",
          standard=NO, dists=("csv", "pdf")),
        U("cooling-centers"), U("encampment-reports"),
        U("graffiti-reports"), U("property-damage"),
        U("service-requests", "service-requests", "Service Requests", standard=NO,
          dists=("csv", "xlsx")),
        U("website-analytics"), U("calls-for-service"), U("crime-incidents"),
        U("fire-incidents"),
        U("building-permits", "building-permits", standard=NO),
        U("code-violations"), U("short-term-rentals"),
        U("tree-canopy"), U("heat-island"),
    ],
    "ocotillo": [
        U("traffic-counts", years=(2022,), standard=NO, stale=True),
        U("street-centerlines"),
        U("streetlight-outages", "streetlight-outages", "Streetlights Out"),
        U("streetlight-inventory", standard=NO, stale=True),
        U("recycling-tonnage", stale=True), U("collection-routes"),
        U("crosswalks"), U("water-consumption"), U("drought-stages"),
        U("graffiti-reports"),
        U("service-requests", "resident-requests", "Resident Service Requests", standard=NO),
        U("calls-for-service"), U("building-permits", standard=NO), U("zoning"),
        U("parcels"), U("business-licenses"),
    ],
    "cholla": [
        U("traffic-counts", years=(2023, 2024), standard=NO),
        U("street-centerlines"), U("pavement-condition"),
        U("bike-network", "bike-routes", "Bike Routes"),
        U("streetlight-outages", "streetlight-outages"), U("streetlight-inventory",
                                                          standard=NO),
        U("recycling-tonnage"), U("contamination-audits"), U("hhw-events"),
        U("traffic-crashes", "crash-data", "Crash Data", standard=NO),
        U("high-injury-network"), U("pedestrian-counts"),
        U("water-consumption"), U("irrigation-schedules"), U("conservation-rebates"),
        U("shelter-beds"),
        U("graffiti-reports"), U("illegal-dumping"),
        U("service-requests", "311-requests", "311 Requests"),
        U("calls-911", "911-dispatch-log", "911 Dispatch Log"),
        U("crime-incidents"), U("building-permits"), U("planning-cases"),
        U("solar-permits", stale=True), U("street-trees"),
    ],
    "agave": [
        U("traffic-counts", years=(2024, 2025), standard=NO),
        U("street-centerlines"), U("road-closures"),
        U("streetlight-inventory", standard=NO),
        U("streetlight-outages", "streetlight-outage-log", "Streetlight Outage Log"),
        U("recycling-tonnage", "recycling-collected", "Recycling Collected"),
        U("contamination-audits"), U("drop-off-centers"), U("landfill-diversion"),
        U("crosswalks"), U("ada-ramps"),
        U("water-consumption"), U("conservation-rebates"),
        U("pit-count", years=(2025,)), U("cooling-centers"),
        U("graffiti-reports"),
        U("service-requests", "service-requests", "Agave Service Requests"),
        U("public-wifi"), U("digital-equity-survey"),
        U("calls-for-service"), U("fire-incidents"),
        U("building-permits"), U("code-violations"), U("zoning"),
        U("tree-canopy"), U("heat-island",
                            derived_from=("tree-canopy",),
                            note="Derived from the tree canopy layer and Landsat imagery."),
    ],
    "sonoran-county": [
        U("traffic-counts", years=(2023, 2024, 2025), standard="tmg"),
        U("street-centerlines", "road-centerlines", "County Road Centerlines"),
        U("pavement-condition"), U("bridge-inventory"),
        U("work-zones", "road-work-zones", "Road Work Zones", standard=NO,
          dists=("csv", "kml")),
        U("road-closures"),
        U("streetlight-inventory", "county-streetlights", "County Streetlights",
          standard=NO),
        U("recycling-tonnage", "landfill-tonnage", "Landfill and Transfer Station Tonnage"),
        U("drop-off-centers"), U("hhw-events"), U("landfill-diversion"),
        U("traffic-crashes", years=(2023, 2024, 2025)),
        U("high-injury-network"),
        U("water-consumption", "well-water-use", "Unincorporated Well Water Use"),
        U("well-levels"), U("flood-zones"),
        U("shelter-beds", "countywide-shelter-beds", "Countywide Shelter Beds"),
        U("services-directory", "211-services", "211 Community Services"),
        U("shelter-intake", "hmis-enrollments", "HMIS Program Enrollments"),
        U("pit-count", years=(2022, 2023, 2024, 2025)),
        U("coordinated-entry"), U("outreach-contacts"), U("housing-placements"),
        U("cooling-centers"),
        U("illegal-dumping"), U("property-damage"),
        U("website-analytics"), U("broadband-availability"),
        U("calls-911", "sheriff-911-calls", "Sheriff 911 Calls"),
        U("crime-incidents"), U("emergency-shelters"),
        U("building-permits", "county-building-permits", "County Building Permits"),
        U("building-inspections"), U("parcels"), U("zoning"), U("planning-cases"),
        U("air-quality-monitoring"), U("air-quality-sensors", standard=NO,
                                       dists=("csv",),
                                       title="Low-Cost Air Sensor Readings"),
        U("heat-illness"), U("dust-control"), U("ghg-inventory"), U("stormwater-outfalls"),
    ],
    "ridge-county": [
        U("traffic-counts", years=(2024, 2025), standard=NO),
        U("street-centerlines", "county-roads", "County Roads"), U("bridge-inventory"),
        U("road-closures"),
        U("recycling-tonnage", "transfer-station-tonnage", "Transfer Station Tonnage"),
        U("drop-off-centers"),
        U("traffic-crashes", "crash-reports", "Crash Reports", standard=NO),
        U("water-consumption"), U("well-levels"), U("flood-zones"),
        U("shelter-beds"), U("pit-count", years=(2024, 2025)),
        U("illegal-dumping"),
        U("broadband-availability"),
        U("calls-911", "dispatch-calls", "Dispatch Calls"), U("crime-incidents", standard=NO),
        U("building-permits", standard=NO), U("parcels"), U("zoning"),
        U("air-quality-sensors", derived_from=()),
        U("air-quality-monitoring", "air-quality-daily", "Daily Air Quality Summary",
          derived_from=("air-quality-sensors",)),
        U("dust-control"),
    ],
    "valley-transit": [
        U("gtfs-schedule"), U("gtfs-realtime-vehicles"), U("gtfs-realtime-trips"),
        U("gtfs-realtime-alerts"),
        U("ridership-by-route", years=(2022, 2023, 2024, 2025)),
        U("ntd-monthly"), U("on-time-performance", derived_from=()),
        U("bus-stops"), U("paratransit-trips"), U("fare-transactions"), U("park-and-ride"),
        U("gbfs-feed", "bike-share-gbfs", "Valley Bike Share GBFS Feed"),
        U("bike-share-stations"),
        U("transit-vandalism"), U("graffiti-reports", "shelter-graffiti",
                                  "Bus Shelter Graffiti Reports"),
        U("service-requests", "customer-feedback", "Customer Feedback",
          standard=NO, role="service"),
        U("website-analytics"),
        U("calls-for-service", "transit-security-incidents", "Transit Security Incidents"),
        U("traffic-crashes", "bus-collisions", "Bus Collisions", standard=NO),
        U("ada-ramps", "stop-accessibility", "Stop Accessibility Audit"),
        U("ghg-inventory", "fleet-emissions", "Fleet Emissions"),
    ],
    "red-mesa": [
        U("street-centerlines", "roads", "Nation Roads"),
        U("traffic-crashes", "crash-reports", "Crash Reports", standard=NO),
        U("pedestrian-crashes"), U("school-zones"),
        U("streetlight-inventory", standard=NO),
        U("recycling-tonnage"), U("drop-off-centers"), U("illegal-dumping"),
        U("well-levels"), U("water-consumption", "community-water-use", "Community Water Use"),
        U("drought-stages"), U("utility-customer-accounts"),
        U("housing-placements", "housing-assistance", "Housing Assistance"),
        U("shelter-intake", "emergency-housing-intake", "Emergency Housing Intake",
          standard=NO),
        U("public-wifi"), U("broadband-availability"),
        U("calls-911", "emergency-calls", "Emergency Calls"),
        U("crime-incidents", standard=NO), U("fire-incidents"),
        U("air-quality-monitoring"), U("tree-canopy", "vegetation-cover", "Vegetation Cover"),
    ],
    "state-dot": [
        U("traffic-counts", "aadt", "Annual Average Daily Traffic",
          years=(2021, 2022, 2023, 2024, 2025), standard="tmg"),
        U("traffic-speeds"), U("freeway-incidents"), U("traffic-cameras"),
        U("message-signs"), U("bridge-inventory"), U("pavement-condition"),
        U("work-zones", "wzdx-feed", "Statewide WZDx Feed"),
        U("road-closures", "highway-closures", "Highway Closures and Restrictions"),
        U("street-centerlines", "highway-network", "State Highway Network"),
        U("traffic-crashes", "statewide-crashes", "Statewide Crash Data",
          years=(2021, 2022, 2023, 2024, 2025)),
        U("pedestrian-crashes", "ped-bike-crashes",
          derived_from=("statewide-crashes-2025",)),
        U("high-injury-network", "high-risk-corridors", "High-Risk Corridors"),
        U("bike-network", "state-bike-routes", "State Bicycle Routes"),
        U("right-of-way-permits", "encroachment-permits", "Encroachment Permits"),
        U("ntd-monthly", "rural-transit-ntd", "Rural Transit NTD Reports"),
        U("critical-facilities"),
    ],
    "valley-water": [
        U("water-consumption", "district-water-deliveries", "District Water Deliveries"),
        U("water-meter-readings"), U("utility-customer-accounts"), U("leak-alerts",
                                                                    derived_from=(
                                                                        "water-meter-readings",
                                                                    )),
        U("conservation-rebates"), U("well-levels"), U("reservoir-levels"),
        U("main-breaks", "pipeline-breaks", "Pipeline Breaks"), U("reclaimed-water"),
        U("drought-stages"), U("irrigation-schedules"), U("flood-zones"),
        U("water-consumption", "water-use-by-sector", "Water Use by Sector",
          derived_from=("district-water-deliveries",)),
        U("conservation-rebates", "rebate-savings", "Estimated Rebate Water Savings",
          access="public", derived_from=("conservation-rebates",)),
        U("critical-facilities"),
    ],
}


# --- building records --------------------------------------------------------------------

# role -> (mailbox, team label)
CONTACT_TEAMS = {
    "transport": ("transportation", "Transportation"), "works": ("publicworks", "Public Works"),
    "it": ("gis", "GIS and Open Data"), "police": ("records", "Police Records"),
    "fire": ("fire", "Fire and EMS"), "human": ("communityservices", "Community Services"),
    "permits": ("permits", "Permits"), "sustain": ("sustainability", "Sustainability"),
    "water": ("water", "Water"), "waste": ("recycling", "Recycling"),
    "service": ("311", "311"), "health": ("health", "Public Health"),
}

# Keywords that name a standard: kept only where the dataset claims that standard, so
# that keyword-based conformance detection has honest evidence to work with.
STANDARD_KEYWORDS = {
    "gtfs": ("GTFS",), "gtfs-rt": ("GTFS Realtime",), "gbfs": ("GBFS",), "mds": ("MDS",),
    "cds": ("CDS",), "wzdx": ("WZDx",), "open311": ("Open311",), "blds": ("BLDS",),
    "sensorthings": ("SensorThings",), "hsds": ("HSDS", "Open Referral"),
    "waterml": ("WaterML",), "nibrs": ("NIBRS",), "hmis": ("HMIS",),
    "opensidewalks": ("OpenSidewalks",), "iso37120": ("ISO 37120",), "ntd": ("NTD",),
    "mmucc": ("MMUCC",), "tmg": (), "fiware": (), "geojson": (),
}
_ALL_STANDARD_KEYWORDS = {w for words in STANDARD_KEYWORDS.values() for w in words}


def _department(community: Community, role: str) -> str:
    return community.departments.get(role) or community.departments.get("works") or (
        next(iter(community.departments.values())))


def _rng(community: Community, identifier: str) -> random.Random:
    return random.Random(f"{community.id}/{identifier}")


def _date(rng: random.Random, start: tuple[int, int], end: tuple[int, int]) -> str:
    """A deterministic day between two (year, month) months, inclusive."""
    first = start[0] * 12 + start[1] - 1
    last = end[0] * 12 + end[1] - 1
    month = rng.randint(first, last)
    return f"{month // 12:04d}-{month % 12 + 1:02d}-{rng.randint(1, 28):02d}"


def _url(template: str, community: Community, identifier: str) -> str:
    return (template.replace("{host}", community.host).replace("{id}", identifier)
            .replace(" ", "%20").replace("'", "%27"))


def _distributions(
    community: Community, use: Use, k: Kind, identifier: str, standard_uri: str | None,
) -> tuple[Distribution, ...]:
    out = []
    for entry in use.dists if use.dists is not None else k.dists:
        if isinstance(entry, tuple):
            dkind, template, title = entry
            url = _url(template, community, identifier)
            # A standard's own endpoint conforms to it only if the community claims the standard.
            conforms = standard_uri
        else:
            dkind, title = entry, None
            spec = DISTRIBUTION_KINDS[dkind]
            if spec.download:
                url = f"https://data.{community.host}/datasets/{identifier}/download{spec.suffix}"
            else:
                url = f"https://data.{community.host}/api/v1/datasets/{identifier}"
            title = f"{spec.format} {'download' if spec.download else 'API'}"
            conforms = STANDARDS["geojson"][0] if dkind == "geojson" else None
        out.append(Distribution(title=title, kind=dkind, url=url, conforms_to=conforms))
    return tuple(out)


def records_for(community: Community) -> list[DatasetRecord]:
    records: list[DatasetRecord] = []
    for use in PUBLISHES[community.id]:
        k = KINDS[use.kind]
        for year in use.years or (None,):
            records.append(_record(community, use, k, year))
    seen: set[str] = set()
    for record in records:
        if record.identifier in seen:
            raise ValueError(f"{community.id}: duplicate identifier {record.identifier}")
        seen.add(record.identifier)
    known = seen
    for record in records:
        for source in record.derived_from:
            if source not in known:
                raise ValueError(f"{community.id}/{record.identifier}: unknown source {source}")
    return records


def _record(community: Community, use: Use, k: Kind, year: int | None) -> DatasetRecord:
    base_id = use.id or k.id
    identifier = f"{base_id}-{year}" if year else base_id
    title = use.title or k.title
    if year:
        title = f"{title} {year}"
    rng = _rng(community, identifier)
    if use.standard is True:
        standard = k.standard
    elif use.standard in (None, False):
        standard = None
    else:
        standard = use.standard
    standard_uri = STANDARDS[standard][0] if standard else None
    role = use.role or k.role
    department = _department(community, role)
    place = community.place
    description = (use.description or k.description).replace("{place}", place)
    if year:
        description += f" Calendar year {year}."
    if standard:
        name = STANDARDS[standard][1]
        if name not in description:
            description += f" Conforms to {name}."
    if use.note:
        description += " " + use.note
    if community.contact_person:
        contact_name, contact_email = community.contact_person
    else:
        mailbox, team = CONTACT_TEAMS[role]
        contact_name = f"{community.short or place} {team} Data Team"
        contact_email = f"{mailbox}-data@{community.host}"
    access = use.access or k.access
    # Dates: year series close with their year; stale ones stopped years ago.
    if year:
        modified = _date(rng, (year + 1, 1), (min(year + 1, 2026), 3 if year < 2025 else 10))
        temporal = f"{year}-01-01/{year}-12-31"
        issued = min(_date(rng, (year + 1, 1), (year + 1, 1)), modified)
    else:
        if use.stale:
            modified = _date(rng, (2019, 1), (2021, 12))
        elif k.freq in ("R/PT1M", "R/PT1H", "R/P1D"):
            modified = _date(rng, (2026, 10), (2026, 11))
        else:
            modified = _date(rng, (2024, 1), (2026, 10))
        start = max(k.start, 1990)
        issued = _date(rng, (max(start, 2012), 1), (max(start, 2012) + 1, 12))
        issued = min(issued, modified)
        temporal = f"{start}-01-01/{modified}"
    license_key = rng.choice(("cc0", "cc0", "cc-by", "odbl")) if k.license else None
    if access == "non-public":
        license_uri = None
    else:
        license_uri = LICENSES[license_key] if license_key else LICENSES["cc-by"]
    keywords = tuple(dict.fromkeys(
        [w for w in k.keywords if w not in _ALL_STANDARD_KEYWORDS]
        + list(STANDARD_KEYWORDS[standard] if standard else ())
        + ([place.lower()] if community.kind in ("city", "county") else [])
    ))
    if temporal.split("/")[0] > temporal.split("/")[1] or issued > modified:
        raise ValueError(f"{community.id}/{identifier}: dates out of order")
    return DatasetRecord(
        identifier=identifier,
        title=title,
        description=description,
        keywords=keywords,
        domains=k.domains,
        publisher=department if place in department else f"{community.name} {department}",
        parent_organization=community.name,
        contact_name=contact_name,
        contact_email=contact_email,
        modified=modified,
        issued=issued,
        access_level=access,
        license=license_uri,
        rights=(use.access is None and k.rights) or (
            RIGHTS_ADDRESS if access != "public" else None),
        spatial=community.bbox if community.format == "datajson" else community.name,
        temporal=temporal,
        periodicity="R/P1Y" if year else k.freq,
        landing_page=f"https://data.{community.host}/datasets/{identifier}",
        conforms_to=standard_uri,
        described_by=f"https://data.{community.host}/datasets/{identifier}/data-dictionary"
        if rng.random() < 0.4 else None,
        distributions=_distributions(community, use, k, identifier, standard_uri),
        derived_from=use.derived_from if community.format == "ttl" else (),
    )


# --- writing ---------------------------------------------------------------------------


def catalog_file(community: Community) -> str:
    return "data.json" if community.format == "datajson" else "catalog.ttl"


def render(community: Community, records: list[DatasetRecord]) -> str:
    if community.format == "datajson":
        return datajson_catalog(records, f"https://data.{community.host}/data.json")
    return turtle_catalog(
        TurtleCatalog(
            base=f"https://data.{community.host}/",
            title=f"{community.name} Open Data Catalog",
            description=f"Datasets published by the {community.name}.",
            publisher_name=community.name,
            homepage=f"https://data.{community.host}/",
            modified=community.catalog_modified,
        ),
        records,
    )


def index_markdown(built: dict[str, list[DatasetRecord]]) -> str:
    total = sum(len(r) for r in built.values())
    lines = [
        "# Demo source catalogs",
        "",
        "Generated by `demo/tools/build_catalogs.py` (do not edit by hand; re-run it).",
        f"{total} datasets in {len(built)} communities.",
        "Refer to a dataset as `community/identifier`.",
        "",
        "| community | file | format | datasets | non-public / restricted |",
        "|---|---|---|---|---|",
    ]
    for community in COMMUNITIES:
        records = built[community.id]
        closed = sum(r.access_level != "public" for r in records)
        fmt = "DCAT-US 1.1 data.json" if community.format == "datajson" else "DCAT 3 Turtle"
        lines.append(f"| {community.id} | `{community.id}/{catalog_file(community)}` | {fmt} | "
                     f"{len(records)} | {closed} |")
    lines += ["", "## Standards claimed (`conformsTo`)", "", "| standard | URI | datasets |",
              "|---|---|---|"]
    for uri, name in STANDARDS.values():
        users = sorted(f"{c}/{r.identifier}" for c, rs in built.items() for r in rs
                       if r.conforms_to == uri)
        if users:
            lines.append(f"| {name} | {uri} | {', '.join(users)} |")
    for community in COMMUNITIES:
        lines += ["", f"## {community.id} — {community.name} ({community.kind})", ""]
        for record in built[community.id]:
            flags = [] if record.access_level == "public" else [record.access_level]
            if record.conforms_to:
                flags.append(next(n for u, n in STANDARDS.values() if u == record.conforms_to))
            extra = f" ({'; '.join(flags)})" if flags else ""
            lines.append(f"- `{record.identifier}` — {record.title}{extra}")
    return "\n".join(lines) + "\n"


def build(out: Path) -> dict[str, list[DatasetRecord]]:
    built: dict[str, list[DatasetRecord]] = {}
    for community in COMMUNITIES:
        records = records_for(community)
        built[community.id] = records
        folder = out / community.id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / catalog_file(community)).write_text(render(community, records),
                                                      encoding="utf-8")
    (out / "INDEX.md").write_text(index_markdown(built), encoding="utf-8")
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=CATALOGS)
    args = parser.parse_args()
    built = build(args.out)
    print(f"wrote {sum(len(r) for r in built.values())} datasets in {len(built)} catalogs "
          f"to {args.out}")


if __name__ == "__main__":
    main()

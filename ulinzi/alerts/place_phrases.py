"""Which words of a free-text report may name its place (no Django import).

A report written freely ("Des hommes armés ont tué 3 personnes à Mbau cette nuit")
names its place among ordinary words, and the gazetteer has some 18,000 settlements:
villages called "Des", "Risasi", "Watu", "Home 4", "Ecole", "Marche" or "You" exist, so
that nearly any word finds a namesake or a near-namesake. Measured on 2,000 real English
messages of the disaster-response corpus (none of them about eastern DRC), the matcher
put 94.5 % of them at a DRC settlement when every capitalised word was tried
(``bench/locate.py``).

So the words tried are, as before, capitalised words and words after a place cue ("à",
"kwa", "na", "near"...), each with the next capitalised word (many villages have two-word
names), and the longer words of a short all-lower-case message; but not the words that
say something else: the function words and common words of the mission's languages, the
threat vocabulary of triage (``triage_lexicon``), armed groups, the mission, security
forces and agencies (MONUSCO, FARDC, UNHCR...), days and months, and landmarks (market,
school, church, road...), unless capitalised right after a cue ("à Saba" names a
village, "près du marché" a market). A two-word phrase is kept when its first word may
be a name ("Mbau Centre", not "Alerte Mbau"). French elisions are taken off ("d'Oicha"
is "Oicha"). A place people flee or head towards ("fuit vers Oicha") is tried only
when no other word names a place. And a word that matches a place only approximately must match it well (:data:`FUZZY_MIN_SCORE`): a misspelt village name
scores high, a common word near a village's name ("hommes" and "Home 4") does not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ulinzi.alerts import triage_lexicon
from ulinzi.lib.text import fold, spelling_key

__all__ = [
    "FUZZY_MIN_SCORE",
    "GIVEN_MIN_SCORE",
    "NOT_PLACES",
    "PLACE_CUES",
    "DESTINATION_CUES",
    "accept",
    "choose",
    "place_phrases",
]

#: Words that introduce a place in the mission's languages.
PLACE_CUES = frozenset(
    {
        "a",
        "à",
        "au",
        "aux",
        "de",
        "du",
        "kwa",
        "huko",
        "katika",
        "na",
        "in",
        "at",
        "near",
        "pres",
        "près",
        "vers",
        "ya",
        "wa",
    }
)

#: A free-text word that matches a place's name only approximately needs this confidence.
FUZZY_MIN_SCORE = 0.5
#: A place named in the keyword form ("ALERTE Zzyxqville ...") needs at least this one: under
#: it, the name found is another place altogether (Kikwit, 0.16, 1,200 km away).
GIVEN_MIN_SCORE = 0.3
#: Phrases of one report searched at most.
MAX_PHRASES = 12
#: An all-lower-case message is searched word by word only when it is this short.
SHORT_MESSAGE_WORDS = 10

_COMMON = {
    "en": """the a an and or but if of to in on at by for from with without about after before
    over under up down out off again then there here when where why how all any both each few
    more most other some such no nor not only own same so than too very can will just should
    now is are was were be been being have has had having do does did doing i me my we our
    you your he him his she her it its they them their what which who whom this that these
    those am would could may might must shall one two three four five six seven eight nine ten
    hundred thousand many much people person man men woman women child children family
    yes no maybe know dont nothing
    village town city area place house houses home road bridge market school church mosque
    hospital clinic camp field fields river forest bush water food help please thank thanks
    need needs urgent alert news hello good bad yes ok okay today tonight yesterday tomorrow
    morning evening night day days week month year time hour hours since still also again
    near around because sir madam dear team mission police army soldiers government chief""",
    "fr": """le la les un une des du de d l et ou mais donc car ni que qui quoi dont ou ce cet
    cette ces mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs je tu il elle
    on nous vous ils elles me te se lui y en au aux avec sans sous sur dans par pour vers chez
    entre depuis pendant avant apres près pres loin ici la bas est sont etait ont avons avez
    fait faire etre avoir tres plus moins tout tous toute toutes aucun autre autres meme
    homme hommes femme femmes enfant enfants personne personnes gens population famille
    familles village ville quartier maison maisons route pont marche ecole eglise mosquee
    hopital centre camp champ champs riviere foret brousse eau nourriture aide secours svp
    merci bonjour bonsoir urgent urgence alerte nouvelle aujourd hui hier demain matin soir
    nuit jour jours semaine mois annee heure heures encore deja aussi maintenant toujours
    chef autorites armee militaires soldats policiers gouvernement deux trois quatre cinq six
    sept huit neuf dix onze douze quinze vingt trente cent cents mille plusieurs beaucoup
    oui non peut sais connais pas rien""",
    "sw": """na ya wa za la kwa katika huko hapa pale kule sisi wao yeye mimi wewe nyinyi
    ni si bado tena sasa leo jana kesho asubuhi mchana jioni usiku saa siku wiki mwezi mwaka
    watu mtu wanaume mwanaume wanawake mwanamke watoto mtoto familia kijiji kijijini mji
    nyumba barabara daraja soko shule kanisa msikiti hospitali kambi shamba mashamba mto
    msitu pori maji chakula msaada tafadhali asante habari salamu hodi karibu mbali zaidi
    wengi nyingi mengi wote kila moja wawili watatu nyara sawa amani salama iko tuko mbili tatu nne tano sita saba nane tisa kumi mia elfu wenye bila
    pamoja juu chini ndani nje kabla baada tangu mpaka kama lakini au tu pia sana kubwa
    ndogo jeshi polisi askari serikali chifu ndiyo ndio hapana sijui sijuwi labda""",
    "ln": """na ya ba mpe to te ezali azali bazali tozali ozali ngai yo ye biso bino bango
    oyo wana awa kuna lelo lobi sik oyo butu moi ntongo pokwa mokolo mikolo poso sanza mbula
    ngonga bato moto mwasi basi bana mwana libota mboka engumba ndako ndako nzela zando
    eteyelo lingomba lopitalo bilanga ebale zamba mai bilei lisalisi matondo mbote malamu
    mabe mingi nyonso moko mibale misato minei mitano zomi nkama nkoto kaka lisusu sikoyo
    mpo pene mosika liboso nsima kati libanda likolo se soda basoda polisi leta mokonzi
    iyo ee boye nayebi""",
}
#: The mission, the security forces and the agencies a report may name beside its place.
_INSTITUTIONS = """monusco monuc fib un onu nu unpol fardc pnc anr dgm ministry ministere
unhcr hcr unicef ocha wfp pam fao who oms icrc cicr croix rouge red cross msf ngo ngos ong
caritas"""
_DAYS_AND_MONTHS = """monday tuesday wednesday thursday friday saturday sunday january february
march april may june july august september october november december jan feb mar apr jun
jul aug sep sept oct nov dec lundi mardi mercredi jeudi vendredi samedi dimanche janvier
fevrier mars avril mai juin juillet aout septembre octobre novembre decembre jumatatu
jumanne jumatano alhamisi ijumaa jumamosi jumapili"""


def _lexicon_words() -> set[str]:
    """The words of triage's lexicon and of the armed groups' names. A few are also names
    of places ("makasi" of "bakangi bato na makasi" is a health area of Butembo): those
    are tried when written capitalised after a cue ("à Makasi")."""
    words: set[str] = set()
    for by_language in (*triage_lexicon.THREAT_WORDS.values(), *triage_lexicon.CUES.values()):
        for entries in by_language.values():
            for entry in entries:
                words.update(fold(entry).split())
    for group in triage_lexicon.ARMED_GROUPS:
        words.update(fold(group).split())
    return words


#: Folded words that do not name a place in a report.
NOT_PLACES: frozenset[str] = frozenset(
    {w for text in _COMMON.values() for w in fold(text).split()}
    | set(fold(_DAYS_AND_MONTHS).split())
    | set(fold(_INSTITUTIONS).split())
    | _lexicon_words()
)


#: Words that say where people go rather than where something happened ("la population
#: fuit vers Oicha", "wanakimbia kuelekea Beni"); "en direction de X" too.
DESTINATION_CUES = frozenset({"vers", "towards", "toward", "kuelekea"})  # and "en direction de"

#: Folded words never taken for a place, even capitalised after a cue ("wa FARDC").
NEVER_PLACES: frozenset[str] = frozenset(fold(_INSTITUTIONS).split())

_ELISIONS = ("l", "d", "j", "qu", "n", "s", "c", "m", "t")  # French: l'école, d'Oicha


def _word(text: str) -> str:
    word = text.strip(".,;:!?()\"'«»")
    for mark in ("'", "\u2019"):
        head, found, tail = word.partition(mark)
        if found and head.casefold() in _ELISIONS:
            return tail
    return word


def place_phrases(text: str, *, towards: list[str] | None = None) -> list[str]:
    """Candidate place names in free text, in the order found (see the module docstring).

    A place after a :data:`DESTINATION_CUES` word is where people flee or head, not
    where it happened: such phrases are put in ``towards`` when a list is given (to be
    tried only when no other phrase names a place), else after the others."""
    words = [_word(w) for w in text.split()]
    folded = [fold(w) for w in words]
    phrases: list[str] = []
    heading: list[str] = []
    for i, word in enumerate(words):
        if len(word) < 3:
            continue
        after_cue = i > 0 and folded[i - 1] in PLACE_CUES
        if not (word[0].isupper() or after_cue):
            continue
        # A capitalised word after a cue is tried even if it is a common word: "à Saba",
        # "na Karibu", "huko Panga" name villages ("près du marché" does not).
        named = after_cue and word[0].isupper() and folded[i] not in NEVER_PLACES
        two = (
            i + 1 < len(words) and words[i + 1][:1].isupper() and folded[i + 1] not in NEVER_PLACES
        )
        destination = i > 0 and (
            folded[i - 1] in DESTINATION_CUES
            # "en direction de Beni", "du marché", "d'Oicha" (the elision taken off)
            or folded[i - 1] == "direction"
            or (i > 1 and folded[i - 2] == "direction" and folded[i - 1] in ("de", "du", "des"))
        )
        found = heading if destination else phrases
        if two and folded[i] not in NOT_PLACES:
            found.append(f"{word} {words[i + 1]}")
        if named or folded[i] not in NOT_PLACES:
            found.append(word)
    # A short all-lower-case message: every longer word that may be a name.
    if not phrases and not heading and len(words) <= SHORT_MESSAGE_WORDS:
        phrases = [
            w for w, f in zip(words, folded, strict=True) if len(w) >= 4 and f not in NOT_PLACES
        ]
    if towards is None:
        return list(dict.fromkeys(phrases + heading))
    towards.extend(p for p in dict.fromkeys(heading) if p not in phrases)
    return list(dict.fromkeys(phrases))


def accept(phrase: str, name: str, score: float, floor: float = FUZZY_MIN_SCORE) -> bool:
    """Whether a ``phrase`` may be taken for the place ``name`` the matcher gave with
    confidence ``score``: always when it spells the name, otherwise only with ``floor``
    (:data:`FUZZY_MIN_SCORE` for free text, :data:`GIVEN_MIN_SCORE` for a place the
    reporter named in the keyword form)."""
    return spelling_key(phrase) == spelling_key(name) or score >= floor


Candidate = dict[str, Any]  # the matcher's candidate as JSON: "name", "score", "place_id"...


def choose(
    phrases: Sequence[str],
    search: Callable[[str], list[Candidate]],
    *,
    floor: float = FUZZY_MIN_SCORE,
) -> tuple[str, list[Candidate]] | None:
    """The phrase whose best candidate has the highest confidence, with its candidates
    (best first), among the first :data:`MAX_PHRASES`; ``search`` gives a phrase's
    candidates. Each must pass :func:`accept` with ``floor``: :data:`FUZZY_MIN_SCORE` for
    free-text phrases, :data:`GIVEN_MIN_SCORE` for a place the reporter gave in the
    keyword form."""
    best: tuple[float, str, list[Candidate]] | None = None
    for phrase in phrases[:MAX_PHRASES]:
        candidates = search(phrase)
        if not candidates:
            continue
        top = candidates[0]
        if not accept(phrase, top["name"], top["score"], floor):
            continue  # a common word near a village's name, not a place named
        if best is None or top["score"] > best[0]:
            best = (top["score"], phrase, candidates)
    return None if best is None else (best[1], best[2])

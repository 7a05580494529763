"""The seed dump the cleanup and acceptance tests read, and what a reader finds in it."""

from pathlib import Path

SEED_DIR = Path(__file__).parents[1] / "fixtures" / "seed"
SEED = SEED_DIR / "000_243c87bbee7a852f.txt"

# (url, title, published) of the seed's articles, in order
SEED_ARTICLES = [
    (
        "https://french.presstv.com/Detail/2020/09/18/634363/Irak-Etats-Unis-Bagdad-Convoi-Nadjaf-Achraf-D%C3%A9g%C3%A2ts-Explosion",
        "Irak : 3ème attaque contre les sociétés américaines liées à la CIA",
        "2020-09-18",
    ),
    (
        "https://french.presstv.com/Detail/2020/09/15/634175/Irak-ambassade-britannique-attaque-americaine-Hachd-explosion-",
        "Irak: deuxième attaque anti-british en 10 jours",
        "2020-09-15",
    ),
    (
        "http://french.almanar.com.lb/1874457",
        "Irak: 4 attaques anti américaines et britannique en moins de 24h",
        "2020-09-15",  # no date in the URL: from the dateline "Depuis 3 heures  15 septembre 2020"
    ),
    (
        "https://french.presstv.com/Detail/2020/09/13/633993/Retrait-US-d%E2%80%99Irak-les-dessous-de-la-d%C3%A9cision-de-Trump",
        "Retrait US d’Irak : les dessous de la décision de Trump? (Débat)",
        "2020-09-13",
    ),
    (
        "https://french.presstv.com/Detail/2020/09/12/633926/Irak-Daech-infiltration-CentCom-troups-am%C3%A9ricaines",
        'McKenzie : "Nous sommes de plus en plus attaqués en Irak"',
        "2020-09-12",
    ),
    (
        "https://french.presstv.com/Detail/2020/09/11/633852/Retrait-US-Irak-A%C3%AFn-al-Assad-CGRI-Trump",
        "Les USA vont-ils vraiment quitter l'Irak?",
        "2020-09-11",
    ),
    (
        "https://french.presstv.com/Detail/2020/09/10/633798/Irak-vaste-operation-antiterroriste-a-al-Anbar",
        "Début des opérations des Hachd al-Chaabi à l’ouest d’al-Anbar",
        "2020-09-10",
    ),
    (
        "https://french.presstv.com/Detail/2020/09/08/633629/Irak-explosion-militaires-americains-Resistance-",
        "Une cachette bourrée de missiles US identifiée",
        "2020-09-08",
    ),
    (
        "https://french.presstv.com/Detail/2020/09/04/633301/Syrie-Irak-retrait-forces-americaines-Trump-Zakharova-Russie-",
        "Frappes anti-US en Irak: Moscou réagit!",
        "2020-09-04",
    ),
    (
        "https://french.presstv.com/Detail/2020/08/31/632994/L%E2%80%99US-Amry-diminue-ses-forces-en-Irak-par-crainte-des-Hachd",
        "Une interconnexion des groupes anti-américains avec la Chine et la Russie, c'est le cauchemar US (The National Interest)",
        "2020-08-31",
    ),
]

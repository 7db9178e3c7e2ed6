"""Text normalisation shared by theme clustering and ESCO matching.

Features are character n-grams, which need no language model, but short function words
("the", "und", "des") and the boilerplate of every skill-needs answer ("skills",
"Kenntnisse", "compétences") would otherwise dominate the similarity of short statements.
Both are removed before vectorising; the lists cover English, German, French and Spanish.
"""

from __future__ import annotations

import re
import unicodedata

_STOPWORDS_EN = """
a about above across after again against all almost along also although always am among an
and another any anyone anything are around as at be because been before being below between
both but by can cannot could did do does doing done down during each either else even ever
every few for from further get gets getting had has have having he her here hers him his how
however i if in into is it its itself just least less like many may me might more most much
must my near neither no nor not now of off often on once one only onto or other others our
ours out over own per rather same several shall she should since so some still such than that
the their theirs them themselves then there these they this those though through thus to too
toward towards under until up upon us very via was we well were what whatever when where
whether which while who whom whose why will with within without would yet you your yours
e.g eg i.e ie etc esp incl vs
"""

_STOPWORDS_DE = """
ab aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
anderes auch auf aus bei beim bereits bis bisher bzw da dabei dadurch dafür daher damit dann
daran darauf darin das dass davon dazu dem den denen denn der deren des dessen die dies diese
diesem diesen dieser dieses doch dort du durch ein eine einem einen einer eines einige einigen
einiger er es etwa etwas euch für gegen ggf hat hatte hatten haben hier hin hinter ich ihm ihn
ihnen ihr ihre ihrem ihren ihrer im immer in ins ist ja je jede jedem jeden jeder jedes jedoch
jetzt kann kaum kein keine keinem keinen keiner können könnte man manche mehr mit muss musste
müssen nach neben nicht noch nun nur ob oder ohne schon sehr sein seine seinem seinen seiner
sich sie sind so soll sollen sollte sollten sowie statt über um und uns unser unsere unter
usw viel viele vom von vor während war waren warum was weil weiter welche welchem welchen
welcher wenn wer werden wie wieder wir wird wo wurde wurden zu zum zur zwar zwischen z.b zb
d.h dh u.a ua
"""

_STOPWORDS_FR = """
à a afin ai aie ainsi alors au aucun aucune aussi autre autres aux avec avoir ce ceci cela
celle celles celui ces cet cette chaque chez comme dans de des donc dont du elle elles en
encore entre est et été être eux fait faire il ils je la le les leur leurs lui ma mais me
même mes moi mon ne ni nos notre nous on ont ou où par parce pas peu peut peuvent plus pour
qu que quel quelle quelles quels qui sa sans se ses si son sont sur ta te tes toi ton tous
tout toute toutes tu un une vers vos votre vous y c d j l m n s t qu' doit doivent faut
p.ex pex
"""

_STOPWORDS_ES = """
a al algo algunos ante antes como con contra cual cuando de del desde donde durante e el
ella ellas ellos en entre era es esa esas ese eso esos esta estas este esto estos fue ha
hay la las le les lo los más me mi mis muy ni no nos nuestra nuestro o otra otro para pero
poco por porque que qué se sea ser si sí sin sobre su sus también tanto te tiene tienen todo
todos tu un una uno unos y ya
"""

#: Words every answer about future skill needs contains, and generic verbs and adverbs;
#: they say nothing about the theme.
_BOILERPLATE = """
skill skills knowledge competence competences competency competencies ability abilities able
need needs needed require requires required requirement requirements staff employee employees
worker workers people person important future new more better good
kenntnisse kenntnissen kompetenz kompetenzen fähigkeit fähigkeiten brauchen braucht benötigen
benötigt wichtig wichtiger zukünftig künftig mitarbeitende mitarbeitenden mitarbeiter
beschäftigte beschäftigten fachkräfte neue neuen mehr besser
compétence compétences connaissance connaissances besoin besoins salarié salariés nouveau
nouveaux nouvelle nouvelles savoir mieux important importante
habilidad habilidades competencia competencias conocimiento conocimientos necesitan necesita
trabajadores nuevo nuevos nueva nuevas importante
especially particularly increasingly growing understanding understand using handling
insbesondere besonders zunehmend umgang verstehen notamment surtout particulièrement
especialmente cada vez
"""

STOPWORDS: frozenset[str] = frozenset(
    (_STOPWORDS_EN + _STOPWORDS_DE + _STOPWORDS_FR + _STOPWORDS_ES + _BOILERPLATE).split()
)

_WORD = re.compile(r"[^\W_](?:[\w'’.-]*[^\W_])?")
_SPACE = re.compile(r"\s+")


def normalise_space(text: str) -> str:
    """Collapse runs of whitespace (including non-breaking spaces) to one space and strip.

    Unicode is composed (NFC) so that "é" typed as e + accent equals "é"; compatibility
    forms such as "…" are left as written.
    """
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def words(text: str) -> list[str]:
    """Word tokens of `text` in their surface form (letters, digits, inner hyphens/apostrophes)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text))


def feature_text(text: str) -> str:
    """Case-folded text without stop words and boilerplate, as input for n-gram vectorisers.

    Falls back to the case-folded text when nothing else would be left, so no statement
    becomes an empty document.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = [w for w in _WORD.findall(folded) if len(w) > 1 and w not in STOPWORDS]
    if kept:
        return " ".join(kept)
    return normalise_space(folded)


def is_keyword(word: str) -> bool:
    """Whether a word token may appear in a theme's keyword label."""
    folded = word.casefold()
    return (
        len(folded) >= 3
        and folded not in STOPWORDS
        and not any(ch.isdigit() for ch in folded[:1])
        and any(ch.isalpha() for ch in folded)
    )


def shorten(text: str, width: int) -> str:
    """`text` cut at a word boundary to at most `width` characters, with an ellipsis if cut."""
    text = normalise_space(text)
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"

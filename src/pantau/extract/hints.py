"""Word lists that tell article text from page furniture, in English, Indonesian and Japanese.

Only data and the small predicates over it; no parsing here.
"""

from __future__ import annotations

import functools
import re

from pantau.extract.pager import CASE_TWINS

# Elements that never hold article text; removed (with their content) before anything is read.
JUNK_TAGS = (
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed", "canvas",
    "button", "select", "textarea", "input", "label", "dialog", "video", "audio", "map", "head",
)  # fmt: skip

# Landmarks that hold navigation or asides, removed in automatic mode.
FURNITURE_SELECTOR = (
    "nav, aside, footer, header, [role=navigation], [role=complementary], [role=contentinfo], [role=search], "
    "[role=banner], [hidden], [aria-hidden=true], figcaption, [style*='display:none'], [style*='display: none']"
)

# class/id words of furniture. A word matches whole; a word ending in "*" also as the start of a longer
# word ("related*" catches "relatedposts", while "comment" alone must not catch "commentary").
_NEGATIVE_WORDS = (
    "comment", "comments", "comment-*", "komentar*", "kommentar*", "commentaire*", "comentario*", "commenti",
    "disqus*", "related*", "terkait*", "bacajuga*",
    "baca-juga*", "readalso", "read-also", "read-more", "readmore", "see-also", "share*", "sharing*",
    "social*", "sosmed*", "tags", "tag", "tagging", "topics", "breadcrumb*", "newsletter*", "subscribe*",
    "subscription*", "promo*", "advert*", "ads", "ad", "iklan*", "sponsor*", "recommend*", "rekomendasi*",
    "popular*", "populer*", "terpopuler*", "trending*", "sidebar*", "widget*", "footer*", "nav", "navbar*",
    "navigation*", "menu*", "banner*", "modal*", "popup*", "overlay*", "cookie*", "outbrain*", "taboola*", "mgid*",
    "byline*", "author-bio*", "authorbio*", "caption*", "credit*", "skip*", "most-read*", "mostread*",
    "more-stories*", "lainnya*", "terbaru*", "pilihan*", "signup*", "paywall-prompt*", "print-only",
    "visually-hidden", "sr-only", "toolbar*", "masthead*", "copyright*", "rating*", "follow*",
    "jumbotron*", "video-player*", "inline-related*", "outstream*", "dfp*",
)  # fmt: skip
_NEGATIVE_EXACT = frozenset(w for w in _NEGATIVE_WORDS if not w.endswith("*") and "-" not in w)
_NEGATIVE_PREFIXES = tuple(w[:-1] for w in _NEGATIVE_WORDS if w.endswith("*") and "-" not in w)
_PAIR_EXACT = frozenset(w for w in _NEGATIVE_WORDS if not w.endswith("*") and "-" in w)
_PAIR_PREFIXES = tuple(w[:-1] for w in _NEGATIVE_WORDS if w.endswith("*") and "-" in w)
_PAIR_STARTS = frozenset(w.split("-")[0] for w in _NEGATIVE_WORDS if "-" in w)
_EMBED_TOKENS = frozenset(("embed", "embedded", "tweet", "instagram", "tiktok"))
_CLASS_SPLIT = re.compile(r"[\s_-]+")
# token -> is it a furniture word? Tokens repeat across sites far more than whole class strings do.
_TOKEN_CACHE: dict[str, bool] = {}


# Substrings (of the lower-cased class and id) that tilt a container's score. Plain substring tests: this
# runs for every candidate container, and a regex alternation over long Tailwind class lists is slow.
_POSITIVE_PARTS = (
    "article", "content", "entry", "story", "postbody", "post-body", "post_body", "posttext", "post-text",
    "bodytext", "body-text", "main", "detail", "isi", "konten", "berita", "text", "read__", "itp", "prose",
    "caas", "hentry", "blog",
)  # fmt: skip
_NEGATIVE_PARTS = (
    "comment", "komentar", "kommentar", "comentario", "related", "terkait", "share", "social", "sidebar", "widget", "footer", "promo",
    "sponsor", "popular", "populer", "recommend", "rekomendasi", "trending", "menu", "nav", "banner",
    "newsletter", "tag",
)  # fmt: skip

# Lines that introduce a box of links or an ad inside the body ("Baca juga: ..."), in several languages.
BOILERPLATE_LINE = re.compile(
    r"^\W*(?:"
    # Indonesian: related-link boxes, app and channel plugs
    r"baca\s+(?:juga|selengkapnya|artikel)|lihat\s+juga|simak\s+(?:juga|video|berita|breaking)|"
    r"berita\s+terkait|artikel\s+terkait|tonton\s+juga|cek\s+berita|dapatkan\s+(?:update|berita|informasi)|"
    r"ikuti\s+(?:kami|berita|update|saluran)|gabung\s+(?:di|ke)\s|(?:unduh|download)\s+aplikasi|"
    r"klik\s+di\s*sini|"
    # English: the same, plus newsletter and social plugs
    r"read\s+(?:more|also|next)|related\s*(?:articles?|stories|coverage|news)?\s*:|see\s+also|also\s+read|"
    r"more\s+(?:on|from)\s|recommended\s*:|"
    # an ad label is the whole line, not a sentence that starts with "Advertising ..."
    r"(?:advertisement|advertising|advert|ads?|iklan|sponsored|sponsor)(?:\W+scroll\s+to\s+continue.*)?\W*$|"
    r"scroll\s+(?:to|down)\s+(?:continue|to\s+continue|for)|sign\s+up\s+(?:for|to|here)|subscribe(?:\s+to|\W*$)|"
    r"join\s+our\s+\w+(?:\s+\w+)?\s+(?:to|and|for)\b|"
    r"click\s+here|share\s+this|like\s+this\s+(?:story|article)|follow\s+(?:us|@)|"
    r"follow\s+\w+(?:\s+\w+)?\s+on\s+(?:twitter|facebook|instagram|x)\b|get\s+the\s+latest|"
    r"let\s+our\s+news|if\s+you\s+enjoyed\s+this|have\s+a\s+(?:news\s+)?tip\?|"
    r"email\s+\w+(?:\s+\w+)?\s+at\s+\S+@|this\s+(?:document|article)\s+is\s+subject\s+to\s+copyright|"
    r"(?:image|photo|foto)\s+\d+\s+(?:of|dari)\s+\d+\W*$|back\s+to\s+gallery|don'?t\s+miss\W*$|"
    r"explore\s+further\W*$|about\s+the\s+author\W*$|filed\s+under|share\s+your\s+thoughts|"
    r"(?:photo|image|picture)\s*(?:credits?)?\s*:|(?:photo|image)\s+credits?\b|"
    r"you\s+have\s+been\s+successfully\s+subscribed|there\s+was\s+a\s+problem\s+subscribing|"
    r"enter\s+search\s+terms|search\s+form\W*$|text\s+size\W*$|copyright\b|all\s+rights\s+reserved|©|ⓒ|"
    r"(?:\d+\s+)?min(?:ute)?s?\s+read\W*$|"
    r"reading\s+time|lesezeit|temps\s+de\s+lecture|tiempo\s+de\s+lectura|tempo\s+de\s+leitura|"
    # German
    r"lesen\s+sie\s+(?:auch|mehr|hier|weiter)|(?:zum\s+)?weiterlesen|mehr\s+(?:zum\s+thema|dazu|lesen|erfahren)|"
    r"schon\s+gelesen|auch\s+interessant|das\s+könnte\s+(?:sie|dich)\s+auch|jetzt\s+(?:abonnieren|anmelden|teilen)|"
    r"folgen?\s+sie\s+uns|(?:foto|fotos|bild|titelbild|abbildung)\s*:|anzeige\W*$|werbung\W*$|kommentieren\W*$|"
    r"rezept\s+drucken|(?:dieser|der)\s+(?:eintrag|beitrag|text|artikel)\s+wurde|kategorie\s*:|"
    r"sie\s+(?:müssen\s+sich\s+einloggen|sind\s+(?:aktuell\s+)?nicht\s+eingeloggt)|gefällt\s+(?:dir|ihnen)\s+unser|"
    r"lust\s+auf\s+mehr|weitere\s+(?:informationen|themen|artikel|beiträge|nachrichten|news)\W*$|"
    r"alle\s+rechte\s+vorbehalten|über\s+den\s+autor|über\s+die\s+autorin|"
    # French, Spanish, Italian, Portuguese, Dutch
    r"(?:à\s+)?lire\s+(?:aussi|également|la\s+suite)|voir\s+aussi|crédits?\s+photos?|publicité\W*$|"
    r"abonnez-vous|suivez-nous|inscrivez-vous|"
    r"lee\s+también|lea\s+también|(?:te|le)\s+puede\s+interesar|s[ií]guenos|suscr[ií]bete|publicidad\W*$|"
    r"leer\s+más|ver\s+también|escr[ií]benos|puede\s+escribirnos|"
    r"leggi\s+anche|potrebbe\s+interessarti|pubblicità\W*$|seguici|"
    r"leia\s+(?:também|mais)|veja\s+também|publicidade\W*$|siga-nos|"
    r"lees\s+(?:ook|meer)|advertentie\W*$|volg\s+ons|"
    # Japanese, Chinese
    r"関連記事|あわせて読みたい|広告|相关阅读|相关新闻|延伸阅读|推荐阅读|责任编辑|版权所有"
    r")",
    re.IGNORECASE,
)


_WORDPRESS_POST = re.compile(r"(?:^|\s)(?:hentry|type-post|status-publish)(?:\s|$)")
# WordPress puts every taxonomy term of the post on its wrapper ("tag-nato", "topics-umwelt",
# "custom_tags-werbung"): on such a wrapper only the plain words ("post", "hentry") say what it is.
_WORDPRESS_TERMS = re.compile(r"(?:^|\s)\S*[-_]\S*")
# Modifier classes say what an element has or lacks, not what it is: "has-recommendations", "no-share".
_MODIFIERS = re.compile(r"(?:^|\s)(?:has|no|with|without)[-_]\S*", re.IGNORECASE)


@functools.lru_cache(maxsize=16384)
def class_words(classes: str | None, element_id: str | None) -> str:
    """An element's class and id as one string of words for the checks below, without the words that say
    nothing about what the element is (modifiers, the taxonomy terms on a WordPress post wrapper)."""
    words = f"{classes or ''} {element_id or ''}".strip()
    if ("hentry" in words or "type-post" in words or "status-publish" in words) and _WORDPRESS_POST.search(
        words
    ):
        words = _WORDPRESS_TERMS.sub(" ", words)
    if ("has" in words or "no" in words or "with" in words) and _MODIFIERS.search(words):
        words = _MODIFIERS.sub(" ", words)
    return words


@functools.lru_cache(maxsize=8192)
def is_furniture(class_and_id: str) -> bool:
    """Do these class/id words name page furniture (comments, related links, share bars ...)?"""
    # Tokens rather than one big regex: this runs on every element with a class or id.
    tokens = _CLASS_SPLIT.split(class_and_id.lower())
    # An embedded post ("social-media-embed", "twitter-tweet") is quoted by the article, so part of it.
    if _EMBED_TOKENS.intersection(tokens):
        return False
    for index, token in enumerate(tokens):
        negative = _TOKEN_CACHE.get(token)
        if negative is None:
            negative = token in _NEGATIVE_EXACT or token.startswith(_NEGATIVE_PREFIXES)
            if len(_TOKEN_CACHE) < 100_000:
                _TOKEN_CACHE[token] = negative
        if negative:
            return True
        if token in _PAIR_STARTS and index + 1 < len(tokens):
            pair = f"{token}-{tokens[index + 1]}"
            if pair in _PAIR_EXACT or pair.startswith(_PAIR_PREFIXES):
                return True
    return False


@functools.lru_cache(maxsize=16384)
def is_furniture_element(classes: str | None, element_id: str | None) -> bool:
    """Do an element's class and id name furniture, with no article word beside ("entry-content read-more"
    is an article body with a modifier)?"""
    words = class_words(classes, element_id)
    return is_furniture(words) and class_weight(words) <= 0


_STRONG = re.compile(
    r"(?:^|[\s_-])(?:comments?|comment-\w+|komentar\w*|kommentar\w*|commentaires?|comentarios?|commenti|disqus\w*|related\w*|terkait\w*|baca-?juga\w*|"
    r"share(?:s|bar|this|r|-\w+)?|sharing\w*|social\w*|sosmed\w*|newsletter\w*|recommend\w*|rekomendasi\w*|popular\w*|"
    r"populer\w*|trending\w*|outbrain\w*|taboola\w*|breadcrumbs?|tags|modal\w*|popup\w*|overlay\w*|"
    # "tag" alone or as a list ("tag-list", "tag-cloud"), not a topic ("tag-nato" marks the article itself)
    r"tag(?=$|\s|[-_](?:list|cloud|box|links?|wrap\w*|container|area|section|bar|group)\b))(?=$|[\s_-])",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=8192)
def is_strong_furniture(class_and_id: str) -> bool:
    """Furniture words that never describe a layout wrapper: a "comments" box stays furniture even when a
    long comment outscores a short article."""
    return _STRONG.search(class_and_id) is not None


@functools.lru_cache(maxsize=8192)
def class_weight(class_and_id: str) -> float:
    """A readability-style bonus for containers whose class/id says "article" and a malus for furniture."""
    if not class_and_id:
        return 0.0
    words = class_and_id.lower()
    weight = 0.0
    if any(part in words for part in _POSITIVE_PARTS):
        weight += 10.0
    if any(part in words for part in _NEGATIVE_PARTS):
        weight -= 10.0
    return weight


# First words of BOILERPLATE_LINE's alternatives: most lines start otherwise and skip the big regex.
_LINE_STARTERS = frozenset(
    ("baca", "lihat", "simak", "berita", "artikel", "tonton", "cek", "dapatkan", "ikuti", "gabung", "unduh",
     "download", "klik", "read", "related", "see", "also", "more", "recommended", "advertisement",
     "advertising", "advert", "ad", "ads", "iklan", "sponsored", "sponsor", "scroll", "sign", "subscribe",
     "click", "share", "like", "follow", "join", "get", "let", "if", "have", "email", "this", "image", "photo",
     "foto", "back", "don", "explore", "about", "filed", "picture", "you", "there", "enter", "search", "text",
     "copyright", "all", "lesen", "zum", "weiterlesen", "mehr", "schon", "auch", "das", "jetzt", "folgen",
     "folge", "fotos", "bild", "titelbild", "abbildung", "anzeige", "werbung", "kommentieren", "rezept",
     "dieser", "der", "kategorie", "sie", "gefällt", "lust", "weitere", "alle", "über", "à", "lire", "voir",
     "crédit", "crédits", "publicité", "abonnez", "suivez", "inscrivez", "lee", "lea", "te", "le", "síguenos",
     "siguenos", "suscríbete", "suscribete", "publicidad", "leer", "ver", "escríbenos", "escribenos", "puede",
     "leggi", "potrebbe", "pubblicità", "seguici", "leia", "veja", "publicidade", "siga", "lees", "advertentie",
     "volg", "min", "mins", "minute", "minutes", "reading", "lesezeit",
     "temps", "tiempo", "tempo")
)  # fmt: skip
_CJK_STARTERS = (
    "関連記事",
    "あわせて読みたい",
    "広告",
    "相关阅读",
    "相关新闻",
    "延伸阅读",
    "推荐阅读",
    "责任编辑",
    "版权所有",
)
_FIRST_WORD = re.compile(r"[^\W\d_]+")


# A photo credit or a wire's contributor line: short, no sentence, ends with an agency's name.
_CREDIT = re.compile(
    r"(?<!\w)(?:getty\s+images|shutterstock|imago(?:\s+images)?|ap\s+photo|associated\s+press|reuters|afp|dpa|epa|"
    r"picture\s+alliance|contributed\s+(?:reporting|to\s+this\s+report)(?:\s+from\s+[\w\s]+)?)\W*$",
    re.IGNORECASE,
)


# A word of each of _CREDIT's alternatives: most lines hold none, and skip the search at every position.
# Lower-cased words find what IGNORECASE finds unless the text holds one of CASE_TWINS.
_CREDIT_WORDS = ("getty", "shutterstock", "imago", "photo", "press", "reuters", "afp", "dpa", "epa", "alliance",
                 "contributed")  # fmt: skip


def is_credit_line(text: str) -> bool:
    """Is this short line a photo credit ("Name/Agency/Getty Images") or a contributor note?"""
    if len(text) > 250:
        return False
    # A sentence (a line ending in a full stop, or long) is a contributor note or nothing: most paragraphs
    # are out before the search, which would find "epa" in "repaired" and then try every position.
    if "contributed" not in text and (len(text) > 160 or text[-1:] == "."):
        return False
    return may_be_credit(text) and _CREDIT.search(text) is not None


def may_be_credit(text: str) -> bool:
    """False only where _CREDIT cannot match."""
    if not text.isascii() and any(twin in text for twin in CASE_TWINS):
        return True
    lowered = text.lower()
    return any(word in lowered for word in _CREDIT_WORDS)


def is_boilerplate_line(text: str) -> bool:
    """Is this line a "Baca juga"/"Read more" pointer, an ad label, or a newsletter or social plug?"""
    if text.lstrip()[:1] in ("©", "ⓒ"):
        return True
    first = _FIRST_WORD.search(text, 0, 60)
    if first is None:
        return False
    word = first.group().lower()
    if word not in _LINE_STARTERS and not word.startswith(_CJK_STARTERS):
        return False
    return BOILERPLATE_LINE.match(text) is not None


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def text_weight(text: str) -> int:
    """The length of a text in Latin-script characters: a Chinese, Japanese or Korean character says about
    as much as a word, so it counts twice; length thresholds tuned on spaced languages then fit CJK too."""
    if text.isascii() or max(text) < "\u3040":
        return len(text)
    return len(text) + len(_CJK.findall(text))


# A heading that opens the comment thread; nothing after it in the same container is article text.
# A heading that opens a box of links to other articles (boxes that sit inside the article too: the links
# themselves go by their density).
RELATED_HEADING = re.compile(
    r"^\W*(?:you\s+(?:may|might)\s+(?:also\s+)?(?:like|enjoy)|related\s+(?:news|articles?|stories|posts|coverage)|"
    r"more\s+(?:great\s+\w+\s+)?stories|trending(?:\s+(?:news|now|stories))?|popular\s+(?:on|in)\s+\w+|"
    r"recommended(?:\s+for\s+you)?|read\s+next|what\s+to\s+read\s+next|more\s+from\s+\w+(?:\s+\w+)?|"
    r"das\s+könnte\s+(?:sie|dich)\s+auch\s+interessieren|weitere\s+artikel|ähnliche\s+(?:artikel|beiträge)|"
    r"auch\s+interessant|sur\s+le\s+même\s+sujet|dans\s+la\s+même\s+rubrique|noticias\s+relacionadas|"
    r"artículos\s+relacionados|articoli\s+correlati|você\s+(?:pode|também\s+pode)\s+gostar|"
    r"gerelateerde\s+artikelen)\W*$",
    re.IGNORECASE,
)

COMMENTS_HEADING = re.compile(
    r"^\W*(?:\d+\s+)?(?:komentar|tanggapan|diskusi|comments?|responses?|replies|leave\s+a\s+(?:reply|comment)|"
    r"tinggalkan\s+(?:balasan|komentar)|berikan\s+komentar|tulis\s+komentar|join\s+the\s+(?:discussion|conversation)|"
    # German ("Kommentar" alone is also an opinion piece's label), French, Spanish, Italian, Portuguese,
    # Dutch, Polish, Japanese, Chinese
    r"(?:leser)?kommentare|kommentar\s+schreiben|diskussion|commentaires?\s+\(\d+\)|commentaires|"
    r"laisser\s+un\s+commentaire|comentarios|deja\s+(?:un|tu)\s+comentario|commenti|lascia\s+un\s+commento|"
    r"comentários|deixe\s+(?:um|seu)\s+comentário|reacties|laat\s+een\s+reactie\s+achter|komentarze|"
    r"コメント|评论|評論|留言|发表评论|發表評論)(?:\s*[(（]\d+[)）])?\W*$",
    re.IGNORECASE,
)

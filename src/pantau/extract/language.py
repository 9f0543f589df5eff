"""Which language a text is written in, for pages that do not declare one.

Two cheap signals: the script (kana means Japanese, Hangul Korean, Han alone Chinese, Cyrillic, Arabic, Thai,
Greek, Hebrew, Devanagari, Bengali ... with a few letters that tell Ukrainian from Russian or Persian from
Arabic), and, for Latin-script text, counts of each language's most common short words. A guess needs enough
evidence and a clear lead over the runner-up; otherwise the answer is None, never a coin toss: rules can
filter on `lang:` and stories compare languages, so a wrong language is worse than none.

Pure and fast: it reads at most the first SAMPLE characters. Never raises.
"""

from __future__ import annotations

import re

SAMPLE = 5000
# Evidence needed: letters of a script (share of all letters), and stop words for Latin-script languages.
MIN_SCRIPT_SHARE = 0.3
MIN_STOP_WORDS = 5
MIN_LEAD = 1.5  # the best language's stop words over the runner-up's

# Words that are frequent in one language and rare in the others of this list. Single letters and words
# shared by close relatives (Spanish/Portuguese "que", "de") are left out on purpose.
_STOP_WORDS: dict[str, str] = {
    "en": "the and of to is that for with was are this have from which not been were they their would has",
    "id": "yang dan dengan untuk dari ini itu pada dalam tidak akan juga adalah oleh karena bisa sudah telah "
    "mereka kami",
    "de": "der die und das ist nicht mit den von auch sich des ein eine für auf dem wird werden bei nach "
    "wie noch",
    "fr": "le la les et des est une pour dans qui pas sur au du avec ce sont plus par aux cette ont été",
    "es": "el los las del por con una para es se como más pero fue sus al está también entre hay muy",
    "it": "il della che di è per sono gli con non del alla nel anche più dei delle questo essere stato",
    "pt": "os da do das dos não uma com em é no na mais foi pelo pela também ao seu sua são estão às pelas "
    "pelos muito já ele ela nos nas",
    "nl": "het een van en dat niet op voor met zijn te er ook aan maar bij wordt worden naar deze",
    "pl": "się nie na że jest to od jak przez po dla są czy jego tym oraz ale już może które został będzie "
    "tylko",
    "sv": "och att det som är på för med av inte till har om ett var jag vi men också",
    "da": "og det som er på med af ikke til har jeg men også efter meget blev nogle hvad kun hvor",
    "no": "og det som er på med av ikke til har jeg men også etter mye ble noen hva bare hvor",
    "fi": "ja on ei että se oli ovat tai mutta kun joka myös hän sen vain kanssa mukaan",
    "tr": "ve bir bu için ile olarak çok daha olan gibi ama kadar sonra göre değil",
    "cs": "je se na že to jako by ale jsou pro které také jeho podle nebo byl",
    "ro": "și în la cu pe că nu este un mai din pentru care sunt fost această",
    "hu": "az és hogy nem is egy meg van volt csak már mint vagy ez azt",
    "vi": "và của là có các những được cho trong không người này với một đã",
    "tl": "ang mga sa na ng ay at para kay hindi niya ito siya",
}
# A word in two lists ("det" in Danish and Norwegian) is evidence for neither.
_WORD_LANGS: dict[str, list[str]] = {}
for _lang, _words in _STOP_WORDS.items():
    for _word in _words.split():
        _WORD_LANGS.setdefault(_word, []).append(_lang)
_WORD_LANG = {word: langs[0] for word, langs in _WORD_LANGS.items() if len(langs) == 1}

_LETTER = re.compile(r"[^\W\d_]+")
# Scripts by code point range; the first match of a letter decides its script.
_SCRIPTS: tuple[tuple[str, str], ...] = (
    ("kana", "\u3040-\u30ff\u31f0-\u31ff"),
    ("hangul", "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"),
    ("han", "\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff"),
    ("cyrillic", "\u0400-\u04ff"),
    ("arabic", "\u0600-\u06ff\u0750-\u077f"),
    ("thai", "\u0e00-\u0e7f"),
    ("greek", "\u0370-\u03ff"),
    ("hebrew", "\u0590-\u05ff"),
    ("devanagari", "\u0900-\u097f"),
    ("bengali", "\u0980-\u09ff"),
    ("georgian", "\u10a0-\u10ff"),
    ("armenian", "\u0530-\u058f"),
    ("tamil", "\u0b80-\u0bff"),
)
_SCRIPT_RES = {name: re.compile(f"[{chars}]") for name, chars in _SCRIPTS}
_SCRIPT_LANG = {
    "hangul": "ko",
    "thai": "th",
    "greek": "el",
    "hebrew": "he",
    "devanagari": "hi",
    "bengali": "bn",
    "georgian": "ka",
    "armenian": "hy",
    "tamil": "ta",
}
_UKRAINIAN = re.compile("[іїєґІЇЄҐ]")
_RUSSIAN = re.compile("[ыэъЫЭЪ]")
_SERBIAN = re.compile("[ђћџљњјЂЋЏЉЊЈ]")
_PERSIAN = re.compile("[پچژگی]")
_URDU = re.compile("[ٹڈڑںےھ]")


def guess_lang(text: str) -> str | None:
    """An ISO 639-1 code for the language of `text`, or None when the evidence is thin or split."""
    sample = text[:SAMPLE]
    letters = sum(len(word) for word in _LETTER.findall(sample))
    if letters == 0:
        return None
    by_script = _script_guess(sample, letters)
    if by_script is not None:
        return by_script or None
    return _stop_word_guess(sample)


def _script_guess(sample: str, letters: int) -> str | None:
    """A language from the script; "" when a non-Latin script dominates but says no more; None for Latin."""
    counts = {name: len(pattern.findall(sample)) for name, pattern in _SCRIPT_RES.items()}
    # Japanese mixes kana with Han characters: a modest share of kana is enough.
    if counts["kana"] >= 0.1 * letters and counts["kana"] + counts["han"] >= MIN_SCRIPT_SHARE * letters:
        return "ja"
    if counts["han"] >= MIN_SCRIPT_SHARE * letters:
        return "zh"
    name = max(counts, key=lambda key: counts[key])
    if counts[name] < MIN_SCRIPT_SHARE * letters:
        return None
    if name in _SCRIPT_LANG:
        return _SCRIPT_LANG[name]
    if name == "cyrillic":
        return _cyrillic(sample)
    if name == "arabic":
        if len(_URDU.findall(sample)) > 5:
            return "ur"
        return "fa" if len(_PERSIAN.findall(sample)) > 0.02 * counts[name] else "ar"
    return ""


def _cyrillic(sample: str) -> str:
    ukrainian = len(_UKRAINIAN.findall(sample))
    russian = len(_RUSSIAN.findall(sample))
    serbian = len(_SERBIAN.findall(sample))
    if serbian > max(ukrainian, russian):
        return "sr"
    if ukrainian > russian:
        return "uk"
    # Bulgarian has neither ы nor э but more ъ; without a clear Russian marker, say nothing.
    return "ru" if russian > 0 and _RUSSIAN.search(sample.replace("ъ", "").replace("Ъ", "")) else ""


def _stop_word_guess(sample: str) -> str | None:
    counts: dict[str, int] = {}
    for word in _LETTER.findall(sample.lower()):
        lang = _WORD_LANG.get(word)
        if lang is not None:
            counts[lang] = counts.get(lang, 0) + 1
    if not counts:
        return None
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if score < MIN_STOP_WORDS or score < MIN_LEAD * runner_up:
        return None
    return best

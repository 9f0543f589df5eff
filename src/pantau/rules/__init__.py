"""Watch rules: query text -> compiled rule set -> matches with hits and snippets.

Public face (the rest of pantau imports only these names):

    Concept(name, terms)      terms: Mapping[str, tuple[str, ...]]; key "*" = any language, else "en", "id"…
    RuleSpec(name, query, sources=None, stem=False)
    compile_rules(specs, concepts) -> RuleSet     raises RuleError (with .column, .rule set) on a bad query
    RuleSet.match(doc: Document) -> list[Match]   pure; Document(title, body, source, lang)
    RuleSet.warnings -> tuple[str, ...]           e.g. bare adjacent words that look like a phrase
    RuleSet.rule_names -> tuple[str, ...]         in config order

A RuleSet never changes after compile_rules, so one can be shared between threads and swapped whole on a
config reload. Matching sees only the title and the extracted body (plus the source name and language).

The query language (what users write in `match:`):

    NATO  "Selandia Baru"  @ukraine        word, phrase, concept (any of its aliases, every language)
    @ukraine:id                            a concept narrowed to one language (plus its "*" aliases)
    a AND b, a OR b, NOT a, -a, (…)        precedence NOT > AND > OR; adjacent terms mean AND
    a NEAR/3 b, a NEAR b                   at most 3 (default 5) other words between, either order
    a ONEAR/3 b                            the same, a before b
    "Indo-Pacific partners"~3              the phrase's words in order with at most 3 extra words between
    serang*                                prefix (at least 3 letters, not a bare affix such as ber*)
    !IP4  !"US Navy"                       case-sensitive
    中国 EXCEPT 中国地方                   occurrences of the left side not inside the right side
    title: lead: body: source: lang:       on a term, phrase, concept or group; lead = title + 1st paragraph

Operators are upper case (`or` is a word). Matching folds Unicode (NFKC: ＮＡＴＯ, ｳｸﾗｲﾅ), case and
accents on both sides. Words have boundaries (NATO never matches Renato; IP4 never IPv4; Ukraine never
Ukrainian); hyphens and apostrophes are boundaries (NATO-nya, pro-Ukraina, negara-negara), and the
Indonesian clitics -nya -lah -kah -pun -ku -mu may follow any word (Ukrainanya, Jepangpun). Scripts written
without spaces (Japanese, Chinese, Thai, Korean) match as substrings: use EXCEPT against a known longer word
(`中国 EXCEPT 中国地方`) to avoid a trap. `stem: true` on a rule lets lower-case words find the affixed
Indonesian forms of their stem (serang -> menyerang, diserang, serangan); names are never stemmed.
"""

from pantau.rules.engine import Concept, Document, RuleSet, RuleSpec, compile_rules

__all__ = ["Concept", "Document", "RuleSet", "RuleSpec", "compile_rules"]

"""Watch rules: query text -> compiled rule set -> matches with hits and snippets.

Public face (the rest of pantau imports only these names):

    Concept(name, terms)      terms: Mapping[str, tuple[str, ...]]; key "*" = any language, else "en", "id"…
    RuleSpec(name, query, sources=None, stem=False)
    compile_rules(specs, concepts) -> RuleSet     raises RuleError (with .column, .rule set) on a bad query
    RuleSet.match(doc: Document) -> list[Match]   pure; Document(title, body, source, lang)
    RuleSet.warnings -> tuple[str, ...]           e.g. bare adjacent words that look like a phrase

Matching sees only the title and the extracted body.
"""

from pantau.rules.engine import Concept, Document, RuleSet, RuleSpec, compile_rules

__all__ = ["Concept", "Document", "RuleSet", "RuleSpec", "compile_rules"]

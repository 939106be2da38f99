"""The order in which the normalizer's rules run (``RULES``) and the context they share."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from nlp.normalize_common import Context, alternation
from nlp.normalize_data import packaged_mapping, unit_table
from nlp.normalize_datetime import rule_calendar, rule_dates, rule_times
from nlp.normalize_quantities import (
    PER_WORDS,
    QUANTITY_PATTERN,
    rule_money_shorthand,
    rule_numbers,
    rule_per_units,
    rule_quantities,
    rule_roman_and_ordinals,
    rule_units_after_each,
)
from nlp.normalize_references import rule_addresses, rule_legal_numbers, rule_phones, rule_roads
from nlp.normalize_words import rule_abbreviations, rule_codes, rule_digits_left, rule_symbols, rule_tidy


def build_context(abbreviations: Mapping[str, str]) -> Context:
    """Compile the patterns for one abbreviation table."""
    keys = alternation(abbreviations)
    first_chars = (
        "".join(sorted({re.escape(k[0]) for k in abbreviations})) or "("
    )  # a quick first-character test
    upper_chars = "".join(sorted({re.escape(k[0]) for k in abbreviations if k[0].isupper()})) or "("
    # Keys starting with a lower-case letter or a sign, each with its rarest-looking character (not a
    # letter if it has one: "tr." -> "."), looked for first.
    lower_keys = tuple(
        (k, next((ch for ch in k if not ch.isalpha()), k[-1])) for k in abbreviations if not k[0].isupper()
    )
    pattern = re.compile(
        rf"(?=[({first_chars}])(?P<open>\(\s*)?(?<![\w&.])(?P<abbr>(?:{keys})(?:-(?:{keys}))*)"
        rf"(?:(?<=\.)|(?![\w&]))(?P<close>\s*\))?"
    )
    units = unit_table()
    unit_pattern = alternation(units)
    return Context(
        abbreviations=dict(abbreviations),
        abbreviation_pattern=pattern,
        # "(" or a word start where a key begins: a character class first, the key checked from there
        abbreviation_start=re.compile(rf"[({first_chars}](?:(?<=\()|(?<![\w&.].)(?<=(?={keys}).))"),
        abbreviation_start_upper=re.compile(rf"[({upper_chars}](?:(?<=\()|(?<![\w&.].)(?<=(?={keys}).))"),
        lower_keys=lower_keys,
        doc_types=packaged_mapping("norm_doc_types.tsv"),
        issuers=packaged_mapping("norm_issuers.tsv"),
        units=units,
        unit_pattern=unit_pattern,
        per_pattern=re.compile(
            rf"(?<![^\s/])(?P<left>[^\s/]+)/(?P<right>{unit_pattern}|{PER_WORDS}|[^\W\d_]+)(?![^\W\d_])"
        ),
        # a slash after a character of the left side and before a unit or a letter (every right side starts so)
        per_hint=re.compile(rf"/(?<=[^\s/]/)(?:{unit_pattern}|[^\W\d_])"),
        quantity_pattern=re.compile(QUANTITY_PATTERN.replace("UNITS", unit_pattern)),
        # "1 500 000 đồng": thousands grouped by spaces, trusted only right before a unit
        spaced_thousands=re.compile(
            rf"(?<![\d.,])\d{{1,3}}(?: \d{{3}})+(?= ?(?:{unit_pattern})(?![^\W\d_]))"
        ),
    )


RULES: tuple[Callable[[str, Context], str], ...] = (
    rule_addresses,
    rule_legal_numbers,
    rule_roads,
    rule_phones,
    rule_calendar,
    rule_dates,
    rule_times,
    rule_roman_and_ordinals,
    rule_abbreviations,
    rule_money_shorthand,
    rule_per_units,
    rule_quantities,
    rule_units_after_each,
    rule_codes,
    rule_numbers,
    rule_symbols,
    rule_digits_left,
    rule_tidy,
)

# Rules that only read decimal digits: skipped once a line has none left (no rule writes digits);
# rule_digits_left also reads other digit characters (superscripts) and always runs.
NEEDS_DIGITS = frozenset(
    {rule_roads, rule_phones, rule_dates, rule_times, rule_money_shorthand, rule_quantities, rule_codes,
     rule_numbers}
)  # fmt: skip

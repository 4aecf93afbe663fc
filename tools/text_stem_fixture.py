#!/usr/bin/env python3
"""Snowball English (Porter2) stems from the reference `snowballstemmer`
package (generated from the Snowball sources by the Snowball project), for
framework/crates/text/tests/clean.rs, which checks mer's stemming (the
`rust-stemmers` crate) word for word.

Writes framework/crates/text/tests/fixtures/text/stem_snowball.json:
{"versions": ..., "stems": {word: stem, ...}}.

The word list covers every Porter2 step (plurals, -ed/-ing, y->i, the
step 2/3/4 suffix classes, -e/-ll endings), the algorithm's exceptional
forms, and lyrics vocabulary.

    pip install snowballstemmer
    python tools/text_stem_fixture.py

Versions used for the committed fixture: snowballstemmer 3.1.1, Python 3.11.7.
"""

import json
import platform
from importlib.metadata import version
from pathlib import Path

import snowballstemmer

OUT = Path(__file__).resolve().parent.parent / "framework/crates/text/tests/fixtures/text/stem_snowball.json"

WORDS = """
caresses ponies ties caress cats feed agreed plastered bled motoring sing
conflated troubled sized hopping tanned falling hissing fizzed failing filing
happy sky relational conditional rational valenci hesitanci digitizer
conformabli radicalli differentli vileli analogousli vietnamization
predication operator feudalism decisiveness hopefulness callousness formaliti
sensitiviti sensibiliti triplicate formative formalize electriciti electrical
hopeful goodness revival allowance inference airliner gyroscopic adjustable
defensible irritant replacement adjustment dependent adoption homologou
communism activate angulariti homologous effective bowdlerize probate rate
cease controll roll generate generous generously general generation
communication commune arsenal arsenic gener skis skies dying lying tying
idly gently ugly early only singly news howe atlas cosmos bias andes inning
innings outing outings canning cannings herring herrings earring earrings
proceed proceeding exceed exceeding succeed succeeding
crying cried cries cry tears teared heartbreak heartbreaking broken breaking
loving lovely lover lovers loved dancing danced dances dreamer dreaming dreams
beautiful beautifully happiness sadness loneliness lonely forever everlasting
feelings feeling hopelessly hopeless darkness shining shines burning burned
running runs ran flying flies flew goodbye remembering memories memory
angels angel peaceful peacefully stars starry gone hurting hurts hurt
yesterday tomorrow tonight midnight whispering whispered kisses kissing
""".split()


def main():
    stemmer = snowballstemmer.stemmer("english")
    words = sorted(set(WORDS))
    stems = dict(zip(words, stemmer.stemWords(words)))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "generator": "tools/text_stem_fixture.py",
        "versions": {"python": platform.python_version(),
                     "snowballstemmer": version("snowballstemmer")},
        "stems": stems,
    }, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(stems)} stems to {OUT}")


if __name__ == "__main__":
    main()

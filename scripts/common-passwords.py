#!/usr/bin/env python3
"""Regenerates src/data/common-passwords.txt, the breached-password list the password rules
check against (src/password_list.rs).

Source: Django's `django/contrib/auth/common-passwords.txt.gz` (Django 5.2.8 on PyPI,
BSD-3-Clause, "Copyright (c) Django Software Foundation and individual contributors"). Django
documents it as the 20,000 most common passwords of breach corpora, unhexed, lower-cased and
deduplicated, compiled by Royce Williams.

Kept: every entry that could still matter once the other rules have run. An entry of 12 or
more characters is matched whole; a shorter one only as the core of a password padded with
digits or punctuation ("Sunshine2024!!" → "sunshine"), so only entries of 4 or more characters
that start and end with a letter are kept. Sorted by UTF-8 bytes, one a line, for the binary search.

    pip download --no-deps django==5.2.8 -d /tmp/dj
    python3 scripts/common-passwords.py /tmp/dj/django-5.2.8-py3-none-any.whl
"""
import gzip
import sys
import zipfile

MIN_LENGTH = 12  # Password::parse refuses anything shorter first.
MIN_CORE = 4  # A shorter core is not looked up: "84930271 ab" is not "ab".


def core_candidate(word: str) -> bool:
    return len(word) >= MIN_LENGTH or (
        len(word) >= MIN_CORE and word[:1].isalpha() and word[-1:].isalpha()
    )


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as z:
        raw = gzip.decompress(z.read("django/contrib/auth/common-passwords.txt.gz"))
    words = {w.strip().lower() for w in raw.decode("utf-8").splitlines()}
    kept = sorted((w for w in words if w and "\n" not in w and core_candidate(w)), key=str.encode)
    with open("src/data/common-passwords.txt", "w", encoding="utf-8", newline="\n") as out:
        out.write("".join(w + "\n" for w in kept))
    print(f"{len(kept)} of {len(words)} entries kept")


if __name__ == "__main__":
    main(sys.argv[1])

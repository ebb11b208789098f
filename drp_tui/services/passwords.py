"""Password hashing with scrypt (memory-hard, standard library). Never logged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

# n=2**14, r=8 → 16 MiB per hash: memory-hard, ~50 ms on one core.
N, R, P, DKLEN = 2**14, 8, 1, 32


def hash_password(password: str, *, n: int = N) -> str:
    salt = os.urandom(16)
    dk = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=R, p=P, dklen=DKLEN, maxmem=64 * 1024 * 1024)
    return f"scrypt${n}${R}${P}${base64.b64encode(salt).decode()}${base64.b64encode(dk).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        algo, n_s, r_s, p_s, salt_b64, dk_b64 = stored.split("$")
        if algo != "scrypt":
            return False
        salt = base64.b64decode(salt_b64)
        want = base64.b64decode(dk_b64)
        got = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=int(n_s), r=int(r_s), p=int(p_s),
                             dklen=len(want), maxmem=64 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


# One-time set-up codes: a new account's way to choose its first password.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud or copied by hand
CODE_GROUPS, CODE_GROUP = 3, 4


def new_setup_code() -> str:
    """A fresh code like ``K7QM-3XTA-9PRW`` (about 59 bits), for the administrator to pass on once."""
    import secrets

    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP))
    return "-".join(raw[i:i + CODE_GROUP] for i in range(0, len(raw), CODE_GROUP))


def normalise_code(text: str) -> str:
    """What is hashed and compared: capitals, no spaces or dashes (typed 'k7qm 3xta 9prw' is the same)."""
    return "".join(ch for ch in text.upper() if ch not in " -\t")


def looks_like_setup_code(text: str) -> bool:
    code = normalise_code(text)
    return len(code) == CODE_GROUPS * CODE_GROUP and all(ch in CODE_ALPHABET for ch in code)


def hash_setup_code(code: str) -> str:
    return hash_password(normalise_code(code))

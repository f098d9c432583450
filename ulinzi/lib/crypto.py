"""Field encryption and blind indexes for reporters' phone numbers (no Django import).

- ``FieldCipher`` encrypts a value with AES-256-GCM. Each value gets a fresh 96-bit
  nonce; the field's name is bound as associated data, so a ciphertext copied into
  another column does not decrypt. Layout: version byte (1) | nonce (12) | ciphertext+tag.
- ``blind_index`` is a keyed HMAC-SHA256 of the normalised value: equal numbers give
  equal indexes, so the database can find a reporter without holding the number in
  clear, and without the key nobody can test guesses against it.
- ``pseudonym`` is a short, readable label derived the same way with another key, for
  screens: duty officers can tell reporters apart without seeing numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
NONCE_BYTES = 12
# Crockford's base32 without I, L, O, U: unambiguous when read out on the phone.
PSEUDONYM_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class DecryptionError(Exception):
    """The value was not encrypted with this key and field, or was tampered with."""


def _key(hex_key: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived from a configured hex key."""
    raw = bytes.fromhex(hex_key)
    if len(raw) < 16:
        raise ValueError("keys must be at least 128 bits")
    return hmac.new(raw, purpose.encode(), hashlib.sha256).digest()


class FieldCipher:
    def __init__(self, hex_key: str) -> None:
        self._aead = AESGCM(_key(hex_key, "field-encryption-v1"))

    def encrypt(self, value: str, field: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return bytes([VERSION]) + nonce + self._aead.encrypt(nonce, value.encode(), field.encode())

    def decrypt(self, token: bytes, field: str) -> str:
        token = bytes(token)
        if len(token) < 1 + NONCE_BYTES + 16 or token[0] != VERSION:
            raise DecryptionError("not a field ciphertext of a known version")
        nonce, body = token[1 : 1 + NONCE_BYTES], token[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, field.encode()).decode()
        except Exception as exc:  # cryptography raises InvalidTag; bad UTF-8 is as bad
            raise DecryptionError("the value cannot be decrypted with this key") from exc


def blind_index(hex_key: str, value: str) -> str:
    return hmac.new(_key(hex_key, "blind-index-v1"), value.encode(), hashlib.sha256).hexdigest()


def pseudonym(hex_key: str, value: str, prefix: str = "R") -> str:
    """``R-7KQ2-M9XD``: 40 bits from a keyed HMAC, so collisions are rare and harmless
    (the pseudonym is a label, never a key)."""
    digest = hmac.new(_key(hex_key, "pseudonym-v1"), value.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:5], "big")
    chars = []
    for _ in range(8):
        number, rest = divmod(number, 32)
        chars.append(PSEUDONYM_ALPHABET[rest])
    text = "".join(chars)
    return f"{prefix}-{text[:4]}-{text[4:]}"

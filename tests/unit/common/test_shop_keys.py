"""A key per purpose from each shop's secret: distinct, standard (RFC 5869), and none tells anything of another."""

from __future__ import annotations

import base64

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jwt.types import Options

from services import shop_keys
from services.gateway.tokens import issue
from services.redeem.catalog import Prize
from services.redeem.pricing import draw

SECRET = "north-" + "s" * 58


def test_hkdf_gives_the_output_keying_material_of_rfc_5869s_test_vectors() -> None:
    ikm = bytes([0x0B] * 22)
    with_salt = shop_keys.hkdf_sha256(ikm, bytes(range(0xF0, 0xFA)), 42, salt=bytes(range(13)))
    assert with_salt.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )  # test case 1
    bare = shop_keys.hkdf_sha256(ikm, b"", 42)
    assert bare.hex() == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    with pytest.raises(ValueError, match="1 to 8160 bytes"):
        shop_keys.hkdf_sha256(ikm, b"", 255 * 32 + 1)


@given(st.text(min_size=1, max_size=64))
def test_each_purpose_of_a_secret_has_its_own_key_and_none_is_the_secret(secret: str) -> None:
    keys = [shop_keys.derive(secret, purpose) for purpose in shop_keys.PURPOSES]
    assert len(set(keys)) == len(shop_keys.PURPOSES)
    assert all(len(key) == 32 and key != secret.encode() for key in keys)
    assert shop_keys.derive(secret, shop_keys.LOTTERY) != shop_keys.derive(secret + "x", shop_keys.LOTTERY)


def test_a_customer_cannot_read_a_draw_from_a_tokens_signature_by_redeeming_its_signing_input() -> None:
    """The old attack: the token's signature was HMAC(secret, signing input) and the draw HMAC(secret, redemption
    id), so minting tokens until a signature promised the jackpot, then redeeming with the token's signing input
    as the redemption id, won it every time. Now each jackpot such a signature promises is an ordinary draw."""
    prizes = (Prize("jackpot", 1), Prize("nothing", 99))
    promised = []
    for issued in range(1_800_000_000, 1_800_100_000):
        token, _ = issue("north", "ada", SECRET, issued, 600)
        signing_input, _, signature = token.rpartition(".")
        if int.from_bytes(base64.urlsafe_b64decode(signature + "=="), "big") % 100 == 0:
            promised.append(signing_input)
        if len(promised) == 8:
            break
    assert len(promised) == 8
    won = [draw(prizes, SECRET, "north", "ada", signing_input) for signing_input in promised]
    assert won.count("jackpot") < len(won)  # all 8 as chance would have it: 1 in 10^16


def test_the_token_key_verifies_tokens_and_the_lottery_key_does_not() -> None:
    token, _ = issue("north", "ada", SECRET, 1_800_000_000, 600)
    options: Options = {"verify_exp": False, "verify_iat": False}
    assert jwt.decode(token, shop_keys.derive(SECRET, shop_keys.CUSTOMER_TOKEN), ["HS256"], options=options)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, shop_keys.derive(SECRET, shop_keys.LOTTERY), ["HS256"], options=options)

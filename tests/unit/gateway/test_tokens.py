"""Customer tokens: minted for one customer of one shop, refused when expired, too long-lived, tampered or foreign."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.gateway.tokens import CustomerToken, InvalidToken, issue, looks_like_token, signing_key, verify

SECRETS = {"north": "n" * 64, "south": "s" * 64}
NOW = 1_800_000_000
HOUR = 3600


def signed(claims: dict[str, Any], secret: str = SECRETS["north"], algorithm: str = "HS256") -> str:
    """As a shop's backend signs its own: with the customer-token key derived from its secret."""
    return jwt.encode(claims, signing_key(secret), algorithm=algorithm)


def claims(**changes: Any) -> dict[str, Any]:
    return {"sub": "ada", "shop": "north", "iat": NOW, "exp": NOW + 600} | changes


def refusal(token: str, now: float = NOW, max_lifetime: int = HOUR) -> InvalidToken:
    with pytest.raises(InvalidToken) as refused:
        verify(token, SECRETS, now, max_lifetime)
    return refused.value


def test_a_minted_token_acts_for_its_customer_and_shop_until_it_expires() -> None:
    token, expires_at = issue("north", "ada", SECRETS["north"], NOW, 900)
    assert expires_at == NOW + 900
    assert verify(token, SECRETS, NOW + 899, HOUR) == CustomerToken("north", "ada", NOW + 900)
    assert refusal(token, now=NOW + 900).expired


def test_a_token_without_an_expiry_or_living_longer_than_the_maximum_is_refused() -> None:
    without_exp = {k: v for k, v in claims().items() if k != "exp"}
    assert not refusal(signed(without_exp)).expired
    assert not refusal(signed(claims(exp=NOW + HOUR + 1))).expired
    assert verify(signed(claims(exp=NOW + HOUR)), SECRETS, NOW, HOUR).customer_id == "ada"
    for missing in ("sub", "shop", "iat"):
        refusal(signed({k: v for k, v in claims().items() if k != missing}))


@pytest.mark.parametrize(
    "changes",
    [{"iat": NOW + 600, "exp": NOW + 900}, {"exp": NOW}, {"exp": "never"}, {"iat": 1.5}, {"sub": ""}, {"sub": 7},
     {"shop": ["north"]}, {"exp": True}],
)  # fmt: skip
def test_a_token_issued_in_the_future_or_with_malformed_claims_is_refused(changes: dict[str, Any]) -> None:
    refusal(signed(claims(**changes)))


def test_a_token_signed_with_another_shops_secret_or_of_an_unknown_shop_is_refused() -> None:
    assert not refusal(signed(claims(), SECRETS["south"])).expired
    refusal(signed(claims(shop="west"), SECRETS["north"]))


def test_a_token_signed_with_the_shops_secret_itself_rather_than_its_token_key_is_refused() -> None:
    refusal(jwt.encode(claims(), SECRETS["north"], algorithm="HS256"))
    assert signing_key(SECRETS["north"]) != SECRETS["north"].encode()
    assert signing_key(SECRETS["north"]) != signing_key(SECRETS["south"])


@pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")  # the 32-byte token key signing HS384/HS512
def test_a_token_of_another_algorithm_is_refused_even_with_the_right_secret() -> None:
    refusal(signed(claims(), algorithm="HS512"))
    refusal(signed(claims(), algorithm="HS384"))
    header = segment({"alg": "none", "typ": "JWT"})
    refusal(f"{header}.{segment(claims())}.")


def test_a_token_whose_claims_were_changed_after_signing_is_refused() -> None:
    header, _, signature = signed(claims()).split(".")
    refusal(f"{header}.{segment(claims(sub='bo'))}.{signature}")
    refusal(f"{header}.{segment(claims(exp=NOW + 60_000))}.{signature}")


@given(st.data())
def test_changing_any_character_of_a_token_makes_it_invalid(data: st.DataObject) -> None:
    token = signed(claims())
    # The last character of a segment may carry only padding bits, so changing it may change nothing.
    positions = [i for i, c in enumerate(token) if c != "." and i + 1 < len(token) and token[i + 1] != "."]
    position = data.draw(st.sampled_from(positions[:-1]))
    replacement = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
    tampered = token[:position] + replacement + token[position + 1 :]
    if tampered != token:
        refusal(tampered)


def test_api_keys_are_not_taken_for_tokens() -> None:
    assert looks_like_token(signed(claims()))
    for key in ("demo-shop-key", "psk_0123456789ab_secret", "a.b.c", "x.y", "eyJ.eyJ.sig"):
        assert not looks_like_token(key)


def segment(document: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()

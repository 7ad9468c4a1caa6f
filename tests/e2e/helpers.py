"""Shared pieces of the end-to-end tests (the local provider and real Chromium)."""

from __future__ import annotations

import dataclasses
from typing import Any

import aiohttp

from desktop_app.config import Settings


def settings_for(idp: Any, **changes: Any) -> Settings:
    """Settings for the local provider ``idp``: its app, its API, the email scope; ``changes``
    replace any of them."""
    base = Settings(
        endpoint=idp.endpoint,
        app_id=idp.app_id,
        scopes=("email",),
        resources=(idp.api_resource,),
    )
    return dataclasses.replace(base, **changes)


async def token_request(idp: Any, **form: str) -> tuple[int, dict[str, Any]]:
    """POST ``form`` (with the app's client_id) to the provider's token endpoint, as a client
    other than the app would: (status, JSON body)."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{idp.issuer}/token", data={"client_id": idp.app_id, **form}) as resp,
    ):
        return resp.status, await resp.json()

"""The person's Logto organizations, read from their profile claims.

Logto puts the ids in the ID token (``organizations``: ``["<id>"]``, ``organization_roles``:
``["<id>:<role>"]``) and the names only in userinfo (``organization_data``: ``[{"id", "name",
"description"}]``); the profile merges both. Light on purpose (no aiohttp), like ``state``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Organization:
    """One organization the person belongs to: its id, its name (the id when Logto sent
    none), its description, and the organization roles held there."""

    id: str
    name: str
    description: str = ""
    roles: tuple[str, ...] = ()


def organizations_in(profile: Mapping[str, Any]) -> tuple[Organization, ...]:
    """The organizations named in ``profile``, in Logto's order; claims of the wrong shape are
    skipped rather than trusted."""
    ids = profile.get("organizations")
    if not isinstance(ids, list):
        return ()
    roles: dict[str, list[str]] = {}
    for entry in profile.get("organization_roles") or ():
        if isinstance(entry, str) and ":" in entry:
            org_id, _, role = entry.partition(":")
            roles.setdefault(org_id, []).append(role)
    data: dict[str, Mapping[str, Any]] = {}
    for entry in profile.get("organization_data") or ():
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            data[entry["id"]] = entry
    found: list[Organization] = []
    for org_id in ids:
        if not isinstance(org_id, str) or not org_id or any(o.id == org_id for o in found):
            continue
        info = data.get(org_id, {})
        name = info.get("name")
        description = info.get("description")
        found.append(
            Organization(
                id=org_id,
                name=name.strip() if isinstance(name, str) and name.strip() else org_id,
                description=description if isinstance(description, str) else "",
                roles=tuple(roles.get(org_id, ())),
            )
        )
    return tuple(found)

"""Reading the person's organizations from Logto's claims (ID token ids and roles, userinfo
names), and the settings that ask for them."""

from __future__ import annotations

from desktop_app.auth.organizations import Organization, organizations_in
from desktop_app.config import Settings, validate


def test_ids_roles_and_names_are_joined_in_logtos_order() -> None:
    profile = {
        "organizations": ["org_b", "org_a"],
        "organization_roles": ["org_a:admin", "org_b:member", "org_a:billing"],
        "organization_data": [
            {"id": "org_a", "name": "Acme", "description": "Main"},
            {"id": "org_b", "name": "  ", "description": None},
        ],
    }
    assert organizations_in(profile) == (
        Organization("org_b", "org_b", "", ("member",)),  # a blank name falls back to the id
        Organization("org_a", "Acme", "Main", ("admin", "billing")),
    )


def test_without_userinfo_the_ids_stand_in_for_names() -> None:
    assert organizations_in({"organizations": ["org_a"]}) == (Organization("org_a", "org_a"),)


def test_claims_of_the_wrong_shape_are_skipped() -> None:
    assert organizations_in({}) == ()
    assert organizations_in({"organizations": "org_a"}) == ()
    profile = {
        "organizations": ["org_a", 7, "", "org_a"],
        "organization_roles": ["no-colon", 3],
        "organization_data": ["x", {"id": 5}],
    }
    assert organizations_in(profile) == (Organization("org_a", "org_a"),)


def test_organizations_setting_adds_logtos_scopes_and_resource_once() -> None:
    settings = validate(
        {
            "endpoint": "https://tenant.logto.app",
            "app_id": "app",
            "scopes": "email urn:logto:scope:organizations read:reports",
            "organizations": True,
        }
    )
    assert settings.requested_scopes == (
        "email",
        "urn:logto:scope:organizations",
        "read:reports",
        "urn:logto:scope:organization_roles",
    )
    assert settings.requested_resources == ("urn:logto:resource:organizations",)
    off = Settings(endpoint="https://tenant.logto.app", app_id="app")
    assert off.requested_scopes == ("email",)
    assert off.requested_resources == ()

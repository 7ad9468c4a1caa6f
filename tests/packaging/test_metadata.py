"""The licence and the maintainer come from pyproject.toml and LICENSE (fast: no build)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import tomllib
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def build_deb() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("build_deb", str(ROOT / "packaging/build-deb"))
    spec = importlib.util.spec_from_loader("build_deb", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_the_repository_has_the_licence_that_pyproject_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_the_debian_copyright_file_carries_the_licence_text() -> None:
    module = build_deb()
    meta = module.project_metadata()
    text = module.copyright_file(meta)
    licence = text.rsplit("\n\n", 1)[1]  # the stand-alone License paragraph
    assert licence.startswith("License: MIT\n MIT License\n .\n Copyright (c)")
    assert " Permission is hereby granted, free of charge" in licence
    assert f"Copyright: {meta['maintainer']}" in text
    # Format 1.0: every continuation line is indented; none is left empty.
    body = text.split("\n\n", 1)[1].rstrip("\n").splitlines()
    assert all(
        line == "" or line.startswith((" ", "Files:", "Copyright:", "License:")) for line in body
    )


def test_the_maintainer_is_a_real_address_and_the_deb_takes_it_from_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    maintainer = project["maintainers"][0]
    assert not maintainer["email"].endswith(".invalid")  # the old placeholder
    meta = build_deb().project_metadata()
    assert meta["maintainer"] == f"{maintainer['name']} <{maintainer['email']}>"


def test_the_installed_metadata_the_about_box_reads_matches_pyproject() -> None:
    from desktop_app.ui.about import licence_and_maintainer

    meta = build_deb().project_metadata()
    assert licence_and_maintainer() == (meta["license"], meta["maintainer"])
    build_deb().check_installed_metadata(meta)  # what build-deb refuses to freeze without

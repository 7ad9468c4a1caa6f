"""The benchmark names what the bundle ships beyond the hello-world bundle (fast: no build)."""

from __future__ import annotations

from pathlib import Path

from bench.run import bundle_extra


def write(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)


def test_extra_bytes_are_grouped_by_component_and_executables_compared(tmp_path: Path) -> None:
    app, hello = tmp_path / "desktop-app", tmp_path / "hello-world"
    write(app / "desktop-app", 500)
    write(hello / "hello-world", 200)
    write(app / "_internal/libpython3.11.so.1.0", 1000)
    write(hello / "_internal/libpython3.11.so.1.0", 1000)  # shared, same size: not extra
    write(app / "_internal/cryptography/hazmat/bindings/_rust.abi3.so", 3000)
    write(app / "_internal/cryptography/x509/base.py", 100)
    write(app / "_internal/python3.11/lib-dynload/_json.so", 40)
    (app / "_internal/libQt6Core.so.6").symlink_to("libpython3.11.so.1.0")  # links: no size
    assert bundle_extra(app, hello) == {
        "_internal/cryptography": 3100,
        "desktop-app": 300,
        "_internal/python3.11": 40,
    }


def test_nothing_is_reported_before_both_bundles_are_built(tmp_path: Path) -> None:
    assert bundle_extra(tmp_path / "desktop-app", tmp_path / "hello-world") == {}

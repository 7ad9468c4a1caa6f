"""The demo and the tests' identity provider; part of the source checkout, never of the app.

:mod:`demo.local_idp` starts the local Logto-compatible provider in ``local_idp/`` (Node); the
tests' fixtures use it, and ``python -m demo`` (``./run demo``) opens the real app against it
with test users. Installed apps (the wheel, the frozen .deb) ship only ``desktop_app``, so they
neither contain this package nor offer ``--demo``.
"""

"""``python -m desktop_app``: the same as the ``desktop-app`` command."""

from desktop_app.app import main

raise SystemExit(main())

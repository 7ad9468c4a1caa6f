"""``python -m demo [app flags]`` (``./run demo``): the app in demo mode against the local provider."""

import sys

from demo.local_idp import LocalIdp
from desktop_app.app import main

raise SystemExit(main(["--demo", *sys.argv[1:]], local_idp_factory=LocalIdp))

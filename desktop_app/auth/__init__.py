"""The sign-in core: plain asyncio, no Qt import (ruff's banned-api rule enforces it)."""

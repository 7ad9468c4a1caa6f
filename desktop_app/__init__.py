"""desktop_app: sign in to Logto from a desktop app the way native apps should (RFC 8252)."""

__version__ = "0.1.0"

# The one name for the config folder, Qt's application and organisation names and the .desktop
# file. It is not Logto's App ID (Settings.app_id); the keyring service is storage.SERVICE_PREFIX.
APP_NAME = "desktop-app"

# The name people see (window titles, the About box, the .desktop file's Name).
APP_DISPLAY_NAME = "Desktop App"

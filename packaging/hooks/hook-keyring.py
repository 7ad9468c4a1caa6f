"""PyInstaller hook for keyring: its backends are entry points, found at run time.

keyring picks a backend by reading the ``keyring.backends`` entry points of its own
distribution (``SecretService``, ``chainer``, ``libsecret``, ``KWallet``, ``macOS``,
``Windows``) and importing each module. Static analysis sees none of those imports, and
without keyring's dist-info there are no entry points either: the frozen app would silently
fall back to ``fail.Keyring`` ("No recommended backend was available"). So collect both.
The platform-specific imports inside the backends (``secretstorage`` and ``jeepney``,
``win32ctypes``, ``ctypes`` for macOS) are module-level, so analysis follows them from here.
"""

from PyInstaller.utils.hooks import collect_submodules, copy_metadata

hiddenimports = collect_submodules("keyring.backends")
datas = copy_metadata("keyring")

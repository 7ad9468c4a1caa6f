"""The benchmark behind ``./run bench``: the app against bare PySide6 and the plain Logto SDK.

``python -m bench [--quick] [--xvfb] [--json FILE]`` — see :mod:`bench.run`.
"""

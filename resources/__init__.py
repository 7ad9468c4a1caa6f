"""Data files shipped with desktop_app: callback pages, icons, the .desktop file.

Read them with ``importlib.resources.files("desktop_app.resources")`` so an installed wheel and a
frozen bundle find them too.
"""

"""Qt widgets and the view model; the only place that imports PySide6."""

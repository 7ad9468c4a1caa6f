"""The size baseline for the bundle: a bare PySide6 window (see desktop-app.spec)."""

import sys

from PySide6.QtWidgets import QApplication, QMainWindow

if __name__ == "__main__":
    app = QApplication(sys.argv)
    window = QMainWindow()
    window.resize(620, 640)
    window.show()
    sys.exit(app.exec())

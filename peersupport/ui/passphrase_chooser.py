"""Choose a new passphrase: two fields, a live zxcvbn strength meter, clear feedback."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QWidget,
)

from peersupport.domain.passphrase import assess, mismatch_message
from peersupport.ui import style

# light fills so the label drawn over them stays readable in light and dark themes
_COLOURS = ("#ef9a9a", "#ef9a9a", "#ffcc80", "#a5d6a7", "#81c784")


class PassphraseChooser(QWidget):
    """Emits ``changed`` whenever acceptability may have changed."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first = QLineEdit(self)
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setAccessibleName("New passphrase")
        self.first.setInputMethodHints(
            Qt.InputMethodHint.ImhSensitiveData | Qt.InputMethodHint.ImhNoPredictiveText
        )
        self.second = QLineEdit(self)
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.second.setAccessibleName("Repeat the new passphrase")
        self.second.setInputMethodHints(self.first.inputMethodHints())
        self.meter = QProgressBar(self)
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(True)
        self.meter.setAccessibleName("Passphrase strength")
        self.meter.setFormat("")
        self.meter.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.feedback = QLabel(self)
        self.feedback.setWordWrap(True)
        self.feedback.setAccessibleName("Passphrase advice")
        self.mismatch = QLabel(self)
        style.set_text_colour(self.mismatch, style.error_colour())
        self.mismatch.setAccessibleName("Passphrase match")

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Passphrase:", self.first)
        form.addRow("&Repeat:", self.second)
        form.addRow("Strength:", self.meter)
        form.addRow("", self.feedback)
        form.addRow("", self.mismatch)
        self.first.textChanged.connect(self._update)
        self.second.textChanged.connect(self._update)
        self._acceptable = False
        self._update()

    def passphrase(self) -> str:
        return self.first.text()

    def is_acceptable(self) -> bool:
        return self._acceptable

    def clear(self) -> None:
        self.first.clear()
        self.second.clear()

    def _update(self) -> None:
        text = self.first.text()
        strength = assess(text)
        self.meter.setValue(strength.score if text else 0)
        self.meter.setFormat(strength.label if text else "")
        colour = _COLOURS[strength.score]
        self.meter.setStyleSheet(
            "QProgressBar { text-align: center; color: black; }"
            f"QProgressBar::chunk {{ background: {colour}; }}"
        )
        advice = strength.feedback
        if text and strength.crack_time:
            advice = f"{advice} Time to guess offline: {strength.crack_time}.".strip()
        self.feedback.setText(advice)
        mismatch = mismatch_message(text, self.second.text())
        self.mismatch.setText(mismatch or "")
        self._acceptable = (
            strength.acceptable and mismatch is None and self.second.text() == text
        )
        self.changed.emit()

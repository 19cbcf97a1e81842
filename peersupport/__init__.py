"""peersupport: confidential records and follow-ups for law-enforcement peer supporters."""

__version__ = "0.1.0"
APP_NAME = "peersupport"
APP_DISPLAY_NAME = "Peer Support"

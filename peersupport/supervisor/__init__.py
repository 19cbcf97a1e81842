"""The program supervisor's profile: imported, signed, suppressed statistics files and the
dashboard built from them. This package has no way to open a supporter's vault or any sealed
record: it imports neither the store, nor the services, nor the sealing code (an
import-linter contract in pyproject.toml keeps it so)."""

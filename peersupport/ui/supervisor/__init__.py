"""The program supervisor's window: import signed statistics files, the dashboard, reports.
Like ``peersupport.supervisor`` it cannot reach a supporter's vault or sealed records (an
import-linter contract)."""

"""Pure domain rules and records: no database, no crypto, no Qt."""

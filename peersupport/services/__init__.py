"""Use cases the screens and the command line call: create, unlock, lock, verify."""

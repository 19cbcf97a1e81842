"""Keys, key derivation and sealed fields. Knows nothing about databases or Qt."""

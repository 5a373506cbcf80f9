"""Per-domain catalogues. Each module here defines `EN` and `PT_BR` dicts with the same keys,
prefixed by its domain (`sandbox.…`, `accounts.…`); livchat.i18n merges them all."""

// Apps that `import SimVault` also need the key types of its API
// (UnlockRequest, SecretBytes, KeySlot...), which live in VaultKeys.
@_exported public import VaultKeys

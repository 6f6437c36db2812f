// Package registry is an issuer's durable revocation registry: the
// revocation tree of package [github.com/zkcred/zkcred/credential/status]
// with its signed roots, the revocation ids the issuer drew, and its W3C
// Bitstring Status Lists, kept in a transactional [Store] (bbolt in
// [BoltStore]).
//
// It is the issuer's side only. Holders and verifiers use package status,
// which imports no store, so a wallet (or the prover compiled to
// WebAssembly, where bbolt does not build) never links a database.
//
// For most uses, the issuer opens a [Registry] with [Open] over a
// [BoltStore] from [OpenBoltStore], draws each credential's revocation id
// with [Registry.NewRevocationID], revokes with [Registry.Revoke] (durable
// when it returns; every change signs a new root), and publishes
// [Registry.Snapshot] (binary, see [status.Snapshot]) and
// [Registry.SignedRoot] (a compact JWS, see [status.RootClaims]); it
// re-signs an unchanged root with [Registry.RefreshRoot] well within the
// verifiers' maximum root age. On the JWT path it adds a
// [Registry.NewEntry] to each credential's credentialStatus, sets bits with
// [Registry.SetStatus] and publishes [Registry.StatusListCredential], which
// verifiers check with [status.CheckStatus].
//
// # Format
//
// The store layout has a version (1) and is documented on [Registry].
//
// # Durability
//
// [BoltStore] commits every Update with fsync; [Registry.Revoke] signs the
// new root and writes ids, root, sequence and signature in one transaction,
// so a process killed at any point reopens to the last acknowledged state
// ([Open] rebuilds the tree and checks it reproduces the stored root, else
// [ErrCorrupt]). The tests kill a revoking child process with SIGKILL and
// check that nothing acknowledged is lost.
package registry

// Package registry is an issuer's durable revocation registry: the
// revocation tree of package [github.com/zkcred/zkcred/credential/status]
// with its signed roots, the revocation ids the issuer drew, and its W3C
// Bitstring Status Lists, kept in a transactional [Store]: bbolt in
// [BoltStore] for one process, PostgreSQL in [PostgresStore] for an agency
// that runs several instances.
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
// verifiers check with [status.CheckStatus]. A transparency log follows
// the revocations with [Registry.RevokedSince].
//
// # Several instances
//
// On a [PostgresStore] from [OpenPostgresStore], every instance opens its
// own Registry over the same database. Exactly one is the writer at a
// time: the first to make a change takes the registry's advisory lock and
// keeps it while its database session lives. The others serve reads from
// memory, catch up with [Registry.Sync] (every few seconds), and get
// [ErrNotWriter] from changes; when the writer's session ends (it stops,
// crashes or loses its connection), the next instance with a change takes
// over, first catching up from the database. Writes are fenced: each write
// transaction checks that its session still holds the lock at its epoch
// and that the stored count and sequence are the ones its new root was
// computed from, so a writer that lost the lock writes nothing, the
// revoked ids stay one gap-free sequence, and root sequences never go
// back.
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
// [ErrCorrupt]). [PostgresStore] commits with synchronous_commit on. The
// tests kill a revoking child process with SIGKILL, for both stores, and
// check that every acknowledged id is there, in order, and that the ids
// reproduce the root; on PostgreSQL an instance that was serving reads
// takes over from the killed writer.
package registry

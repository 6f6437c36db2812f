// Package tlog publishes and checks an issuer's revocation list as a
// public, witnessed, append-only transparency log, so that an agency cannot
// show different revocation roots (or keys) to different holders and
// verifiers (a split view), and so that a holder downloads only what
// changed.
//
// Two logs per issuer, with the same machinery:
//
//   - the revocation log (origin [RevocationOrigin]): entry i is the i-th
//     revoked id in insertion order, which is leaf i+1 of the issuer's
//     indexed Poseidon2 tree ([github.com/zkcred/zkcred/credential/status.Tree];
//     leaf 0 is the sentinel). Its checkpoints carry an extension line
//     committing to the indexed-tree root the circuit proves against, the
//     tree depth, the registry's sequence number and the time;
//   - the keys log (origin [KeysOrigin]): entry i is the i-th version of the
//     issuer's DID document, so a key rotation or a per-holder key is
//     visible to everyone.
//
// The formats are C2SP's: the tree and its entries are static files in the
// tlog-tiles layout (tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>]), the
// checkpoint is a tlog-checkpoint signed note signed with the agency's
// Ed25519 key from its DID document ([LogKeyFromMethod]), and witnesses add
// tlog-cosignature/v1 cosignatures through the tlog-witness add-checkpoint
// protocol (package [github.com/zkcred/zkcred/credential/status/tlog/witness]).
// FORMAT.md in this directory specifies every byte, with versions.
//
// Agency side: a [Writer] appends entries, writes the tiles and the signed
// checkpoint atomically (temporary file and rename, checkpoint last),
// collects witness cosignatures and publishes the cosigned checkpoint; any
// web server or CDN serves the directory.
//
// Verifier and wallet side: a [Policy] holds the log key, the witness keys
// and the quorum, and accepts a checkpoint only with the agency's signature
// and a quorum of valid cosignatures; [VerifyConsistency] and
// [Policy.CheckUpdate] refuse a log that shrank, forked or shows a split
// view. A [Client] downloads only the tiles it lacks through
// [github.com/zkcred/zkcred/did/fetch], verifies every tile and entry bundle
// against the checkpoint (a CDN cannot feed it wrong data), proves
// consistency from the tiles and returns the entries added since a size.
//
// Libraries: golang.org/x/mod/sumdb/tlog (RFC 6962 hashing, tile
// coordinates, inclusion and consistency proofs, tile verification) and
// golang.org/x/mod/sumdb/note (signed-note signing and verification), the
// code behind Go's checksum database. filippo.io/torchwood v0.6.1 was read
// and not used: it has no way to build a cosignature verifier from a public
// key (only from a private key) and its module pulls in SQLite and other
// dependencies a wallet does not need; the tlog-cosignature/v1 format and
// the tile paths are a few dozen lines here, tested against the
// specification's layout.
//
// Privacy: a wallet syncs the whole public log (or its new entries) on its
// own schedule, the same bytes for every holder, so nothing it fetches says
// which credential it holds or when and where it presents.
//
// This package and package witness build for js/wasm (wallets); the
// witness's bbolt store (witness.OpenStore) is left out of js/wasm builds.
package tlog

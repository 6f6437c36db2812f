// Package status implements credential revocation: a privacy-preserving
// revocation registry (an indexed Merkle tree whose non-membership is proven
// in zero knowledge) with signed, timestamped roots, and the W3C Bitstring
// Status List v1.0 (https://www.w3.org/TR/vc-bitstring-status-list/) for the
// JWT path.
//
// For most uses:
//
//   - The issuer opens a [Registry] over a [BoltStore], draws each
//     credential's revocation id with [Registry.NewRevocationID], revokes
//     with [Registry.Revoke] (durable when it returns; every change signs a
//     new root), and publishes [Registry.Snapshot] (binary, see [Snapshot])
//     and [Registry.SignedRoot] (a compact JWS, see [RootClaims]).
//   - A holder parses the snapshot with [ParseSnapshot], rebuilds the tree
//     with [Snapshot.Tree] (or brings a kept tree up to date with
//     [Snapshot.Update]) and computes its own witness with
//     [NonRevocationWitness]; the issuer never learns who presents.
//   - A verifier checks the root with [VerifySignedRoot], refusing roots
//     older than its policy ([*StaleRootError], [ErrStaleRoot]); the zkp
//     circuit proves non-membership against that root.
//   - On the JWT path the issuer adds a [Registry.NewEntry] to each
//     credential's credentialStatus, sets bits with [Registry.SetStatus] and
//     publishes [Registry.StatusListCredential]; verifiers call
//     [CheckStatus], which fetches the list under the outbound policy of
//     package [github.com/zkcred/zkcred/did/fetch] (public addresses only,
//     no proxy, no redirect to another host, a deadline for the whole
//     fetch, a size limit), taking only TLS settings from the caller.
//
// # Why an indexed Merkle tree
//
// Revocation ids are random uint64 values in [1, 2^64-2]. Non-membership of
// such an id can be proven in a sparse Merkle tree (SMT) keyed by the id, or
// in an indexed (sorted, linked-leaf) Merkle tree. With the zkcred hash
// (Poseidon2: [credential.Compress] 187 R1CS constraints per inner node,
// [credential.IndexedLeafHash] 265 per leaf):
//
//   - Constraints per proof. An SMT keyed by a 64-bit id needs depth 64:
//     64×187 = 11,968 constraints plus the empty-leaf check. The indexed
//     tree's depth only has to cover the number of revocations: at the
//     default depth 24 (16.7M leaves), 24×187 + 265 = 4,753 constraints plus
//     two 64-bit comparisons (lo < id < next, each operand range-checked to
//     64 bits, a few hundred constraints with gnark's range-check gadget), so
//     about 5k, 2.4× fewer; at depth 32 about 6.5k, still 1.8× fewer.
//   - Witness size. Indexed, depth 24: low leaf (2×32 bytes) + index (8) +
//     24 siblings (768) = 840 bytes. SMT: 64 siblings = 2,048 bytes.
//   - Update cost. Indexed insert: 2 leaf hashes + at most 2×depth
//     compressions (48 at depth 24; the two paths share the levels above
//     where they meet) and an O(log n) search for the low leaf. SMT insert:
//     one leaf hash + 64 compressions. Comparable; both O(depth).
//   - Cost the indexed tree pays: its root depends on insertion order, so
//     the holder snapshot lists ids in leaf order (8 bytes each: 8 MB for
//     a million revocations), and the circuit has the two comparisons.
//
// # Tree layout
//
// Leaves are (value, next); the leaf hash is IndexedLeafHash(value, next);
// an empty leaf is 0; a parent is Compress(left, right); an empty subtree is
// Z_0 = 0, Z_{i+1} = Compress(Z_i, Z_i). Leaf 0 is the sentinel (0, max) at
// creation. Inserting v sets the low leaf's next to v and appends (v, old
// next) at the next free index. A path lists siblings bottom-up; bit i of the
// leaf index is 1 when the node at level i is a right child. Revocation trees
// have max = 2^64-1 ([RevocationMax]); set trees for the "in set" and "not in
// set" predicates have max = r-1 ([FieldMax]) and store member m as m+1
// ([SetValue]); their methods take members and shift them.
//
// The in-memory [Tree] keeps the populated prefix of every level (about
// 2n node hashes for n leaves, 64 bytes of leaf data per leaf and a sorted
// index), so a witness is O(depth) lookups and an insert O(depth) hashes.
// Bulk construction ([Snapshot.Tree], [NewSetTree], reopening a
// [Registry]) sorts once and hashes leaves and levels in parallel.
//
// # Formats
//
// Each format has a version and is documented where it is defined: the
// holder snapshot ([Snapshot], binary v1), the signed root ([RootClaims],
// JWS payload v1), and the registry's bbolt layout ([Registry], v1).
//
// # Durability
//
// [BoltStore] commits every Update with fsync; [Registry.Revoke] signs the
// new root and writes ids, root, sequence and signature in one transaction,
// so a process killed at any point reopens to the last acknowledged state
// ([OpenRegistry] rebuilds the tree and checks it reproduces the stored
// root, else [ErrCorrupt]). The tests kill a revoking child process with
// SIGKILL and check that nothing acknowledged is lost.
package status

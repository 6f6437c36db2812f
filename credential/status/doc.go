// Package status implements credential revocation: the indexed Merkle tree
// over revoked ids whose non-membership is proven in zero knowledge, the
// holder snapshot it is rebuilt from, witnesses, signed timestamped roots,
// and the W3C Bitstring Status List v1.0
// (https://www.w3.org/TR/vc-bitstring-status-list/) for the JWT path.
//
// It imports no store, so holders (a wallet, the prover compiled to
// WebAssembly) use it as verifiers do. The issuer's durable side, the
// bbolt-backed revocation registry, is package
// [github.com/zkcred/zkcred/credential/status/registry].
//
// For most uses:
//
//   - The issuer keeps a registry (package registry): it draws each
//     credential's revocation id, revokes (every change signs a new root)
//     and publishes the holder snapshot (binary, see [Snapshot]) and the
//     signed root (a compact JWS, see [RootClaims], made with [SignRoot]).
//   - A holder parses the snapshot with [ParseSnapshot], rebuilds the tree
//     with [Snapshot.Tree] (or brings a kept tree up to date with
//     [Snapshot.Update]) and computes its own witness with
//     [NonRevocationWitness]; the issuer never learns who presents.
//   - A verifier checks the root with [VerifySignedRoot], refusing roots
//     older than its policy ([*StaleRootError], [ErrStaleRoot]); the zkp
//     circuit proves non-membership against that root.
//   - On the JWT path the issuer's registry puts an [Entry] in each
//     credential's credentialStatus and publishes the list's credential
//     (encoded with [EncodeList]); verifiers call [CheckStatus], which
//     fetches the list under the outbound policy of package
//     [github.com/zkcred/zkcred/did/fetch] (public addresses only, no
//     proxy, no redirect to another host, a deadline for the whole fetch, a
//     size limit), taking only TLS settings from the caller.
//
// # Why an indexed Merkle tree
//
// Revocation ids are random uint64 values in [1, 2^64-2]. Non-membership of
// such an id can be proven in a sparse Merkle tree (SMT) keyed by the id, or
// in an indexed (sorted, linked-leaf) Merkle tree. With the zkcred hash
// (Poseidon2: [zkhash.Compress] 187 R1CS constraints per inner node,
// [zkhash.IndexedLeaf] 265 per leaf):
//
//   - Constraints per proof. An SMT keyed by a 64-bit id needs depth 64:
//     64×187 = 11,968 constraints plus the empty-leaf check. The indexed
//     tree's depth only has to cover the number of revocations: at the
//     default depth 24 (16.7M leaves), 24×187 + 265 = 4,753 constraints plus
//     two 64-bit comparisons (lo < id < next, each operand range-checked to
//     64 bits with 64-bit binary decompositions, a few hundred constraints), so
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
// Leaves are (value, next); the leaf hash is zkhash.IndexedLeaf(value, next);
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
// Bulk construction ([Snapshot.Tree], [NewSetTree], reopening a registry)
// sorts once and hashes leaves and levels in parallel.
//
// # Formats
//
// Each format has a version and is documented where it is defined: the
// holder snapshot ([Snapshot], binary v1) and the signed root
// ([RootClaims], JWS payload v1). The registry's bbolt layout (v1) is
// documented in package registry.
package status

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
//     At scale a holder keeps a [HolderView] instead: the revoked ids from
//     the registry's log and the subtree roots it publishes
//     ([Tree.SubtreeChunk]), from which it hashes only its own subtree
//     (see "Holder sync from subtree roots" below; package
//     [github.com/zkcred/zkcred/credential/status/tlog] fetches both).
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
// # Holder sync from subtree roots
//
// Rebuilding the whole tree costs a holder 2n hashes (about 16
// CPU-seconds per million revocations) and a download of every id at each
// sync. Instead, with each root the registry publishes the roots of the
// tree's subtrees at level k ([DefaultSubtreeLevel] = 12: subtrees of
// 4,096 leaves) in chunks of 64 ([Tree.SubtreeChunk], format below), read
// from its tree's kept nodes without hashing. A holder keeps a
// [HolderView]: every revoked id in leaf order (from the log, 8 bytes
// each, sorted once with their leaf indexes), the published roots, and
// the subtree its low leaf is in, which it hashes itself from the ids: a
// leaf (v, next) needs next, the successor of v among all ids, which is
// why the holder keeps them all. Its witness is the path through that
// subtree (2^k leaf hashes and 2^k−1 compressions, once; later syncs
// re-hash only changed leaves and their paths) and then through the top
// levels, hashed from the published roots (⌈(n+1)/2^k⌉ compressions at
// most, 2,442 at 10^7 revocations).
//
// The view returns a witness only when two checks pass: (1) its own
// subtree's root, hashed from the ids, equals the published root at that
// position, and (2) the top levels hashed from all published roots give
// the expected root, which the holder takes from a verified checkpoint or
// signed root, never from the chunks. Why that is enough:
//
//   - Wrong published roots are refused. A chunk set other than the
//     registry's that passes (2) contains two different inputs of
//     [zkhash.Compress] with the same output somewhere on the way up: a
//     Poseidon2 collision. A CDN or a network attacker can only make the
//     holder fail ([ErrSubtreeMismatch]), never hand it a path to another
//     root.
//   - The low leaf is the registry's. By (1) and (2) the holder's subtree,
//     leaf values and nexts included, is the one the root commits to at
//     that position (again up to a collision), so the witness's leaf
//     (lo, next) with lo < id < next is the tree's leaf at that index, as
//     the circuit requires; the witness is exactly [Tree.NonMembership]'s.
//     Ids that disagree with the root in the holder's subtree (a log and
//     a root the registry signed that disagree) fail (1).
//   - Nothing new is trusted by verifiers: the circuit proves against the
//     root they check themselves, as before.
//   - Privacy: the chunks a view asks for ([HolderView.StaleChunks]) depend
//     only on the public ids (those whose subtrees the new ids changed:
//     their own leaves and the leaves whose next they change), never on
//     the holder's id, and the holder hashes its own subtree locally.
//
// What a holder does not check is that the subtrees other than its own
// hash from the logged ids; a monitor or a log witness that keeps a full
// [Tree] checks that for every new root with O(depth) hashes per new id
// ([Tree.Insert] of each new entry of the log), which is why the root is
// committed to in the log's checkpoint.
//
// Costs at depth 24, level 12, n revocations: a first witness downloads
// 8n bytes of ids plus ⌈S/64⌉ chunks of at most 2,074 bytes (S =
// ⌊n/4,096⌋ + 1 subtrees: 7,944 bytes of chunks at 10^6, 79,158 at
// 10^7); a sync of m new ids downloads 8m bytes plus the chunks holding a
// changed subtree: at most 2m chunks, and never more than all of them.
//
// # Subtree chunk format, version 1
//
// A revocation tree of depth d holding n revoked ids has n+1 leaves (the
// sentinel is leaf 0). At level k (1 ≤ k ≤ min(d, [MaxSubtreeLevel])) it
// has S = ⌊n/2^k⌋ + 1 populated subtrees of 2^k leaves: subtree s covers
// leaves s·2^k to s·2^k+2^k−1, and the last may be partly empty (empty
// leaves hash to 0, as in the tree). Every subtree beyond S is empty, its
// root the empty-subtree hash Z_k, and is not published. The S roots, in
// subtree order, are cut into chunks of [SubtreeChunkRoots] = 64: chunk j
// holds the roots of subtrees 64j to min(64j+64, S)−1, and there are
// [SubtreeChunkCount] chunks. Integers are big-endian:
//
//	offset  size   field
//	0       8      magic "zkcrsub" followed by version byte 0x01
//	8       1      depth d, 1..64
//	9       1      level k, 1..min(d, 20)
//	10      8      count n: revoked ids in the tree, below 2^d
//	18      8      chunk index j, below ⌈S/64⌉
//	26      32·m   m = min(64, S−64j) roots, each a canonical BN254
//	               scalar field element
//
// Nothing may follow the last root and nothing is optional, so a chunk has
// one encoding; anything over [MaxSubtreeChunkSize] (2,074 bytes) is
// refused before it is read. A chunk is a function of the tree's ids in
// order, so it is immutable for a given (d, k, n, j) and can be served as
// a static file next to the log's tiles.
//
// # Formats
//
// Each format has a version and is documented where it is defined: the
// holder snapshot ([Snapshot], binary v1), the signed root ([RootClaims],
// JWS payload v1) and the subtree chunk (above, binary v1). The registry's
// bbolt layout (v1) is documented in package registry.
package status

package status

import "errors"

// Sentinel errors. Functions wrap them with context; test with [errors.Is].
var (
	// ErrRevoked is returned when a revocation id is in the revocation
	// tree: by [NonRevocationWitness] (no non-membership witness exists;
	// also through the issuer's registry.Registry.Witness), by
	// registry.Registry.Revoke for an id revoked before, and by
	// [CheckStatus] when the entry's bit is set in a revocation list.
	ErrRevoked = errors.New("status: credential revoked")

	// ErrStaleRoot is wrapped by [*StaleRootError] when a signed root is
	// older than the verifier's maximum age.
	ErrStaleRoot = errors.New("status: revocation root is stale")

	// ErrPresent is returned by [Tree.Insert] for a value already in the
	// tree, by [Tree.NonMembership] for a member, and by
	// [HolderView.Append] for an id already held or repeated in the batch.
	ErrPresent = errors.New("status: value is in the tree")

	// ErrAbsent is returned by [Tree.Membership] for a value not in the tree.
	ErrAbsent = errors.New("status: value is not in the tree")

	// ErrTreeFull is returned by [Tree.Insert] and [HolderView.Append]
	// when all 2^depth leaves are used.
	ErrTreeFull = errors.New("status: tree is full")

	// ErrOutOfRange is returned for a value outside the open interval
	// (0, max) of a tree, a revocation id outside [1, 2^64-2], a set member
	// above r-3, or a status-list index beyond the end of the list.
	ErrOutOfRange = errors.New("status: value out of range")

	// ErrInvalidDepth is returned for a tree depth outside [1, 64].
	ErrInvalidDepth = errors.New("status: invalid tree depth")

	// ErrInvalidSnapshot is returned by [ParseSnapshot] and
	// [Snapshot.Tree] for a malformed, oversize or inconsistent snapshot.
	ErrInvalidSnapshot = errors.New("status: invalid snapshot")

	// ErrConfig is returned by [CheckStatus] for an invalid [CheckConfig],
	// and wrapped by package registry's Open for an invalid configuration.
	ErrConfig = errors.New("status: invalid registry configuration")

	// ErrInvalidSubtrees is returned for a malformed, oversize, truncated
	// or foreign subtree chunk: by [HolderView.ApplySubtreeChunk] (also for
	// a chunk of another depth, level or tree size than the view's) and by
	// [Tree.SubtreeChunk] for a level or chunk index out of range.
	ErrInvalidSubtrees = errors.New("status: invalid subtree chunk")

	// ErrSubtreeMismatch is returned by [HolderView.NonRevocationWitness]
	// when the published subtree roots do not lead to the expected root or
	// the holder's own subtree, hashed from the revoked ids, differs from
	// its published root: the chunks or the ids are not those of the tree
	// the root commits to. The view then needs every chunk again.
	ErrSubtreeMismatch = errors.New("status: published subtree roots do not match the revocation root")

	// ErrSubtreesStale is returned by [HolderView.NonRevocationWitness]
	// while subtree chunks for the view's current ids are missing: fetch
	// those [HolderView.StaleChunks] lists and apply them first.
	ErrSubtreesStale = errors.New("status: subtree roots missing for the current revocation ids")

	// ErrInvalidWitness is returned by [Witness.VerifyNonMembership] and
	// [Witness.VerifyMembership] when the witness does not prove the claim.
	ErrInvalidWitness = errors.New("status: invalid witness")
)

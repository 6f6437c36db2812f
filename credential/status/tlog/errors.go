package tlog

import "errors"

// Sentinel errors. Every error of this package wraps one of them (or, for
// HTTP failures, a [github.com/zkcred/zkcred/did/fetch] sentinel); test
// with [errors.Is].
var (
	// ErrMalformedCheckpoint is returned for a checkpoint or signed note
	// that does not follow FORMAT.md byte for byte (layout, sizes, base64,
	// extension line, signature lines), or that is too large.
	ErrMalformedCheckpoint = errors.New("tlog: malformed checkpoint")
	// ErrBadSignature is returned when a checkpoint does not carry a valid
	// signature of the log's key, or is for another origin.
	ErrBadSignature = errors.New("tlog: checkpoint not signed by the log's key")
	// ErrNoQuorum is returned when fewer valid cosignatures of known
	// witnesses than the policy's quorum are present.
	ErrNoQuorum = errors.New("tlog: not enough witness cosignatures")
	// ErrInconsistent is returned when a checkpoint does not extend an
	// earlier one: the log shrank, or forked (the consistency proof fails).
	ErrInconsistent = errors.New("tlog: checkpoint inconsistent with the earlier one")
	// ErrSplitView is returned for two different checkpoints of the same
	// size (another root hash, indexed root, depth or sequence), proof that
	// the agency shows different logs to different parties. It also wraps
	// ErrInconsistent.
	ErrSplitView = errors.New("tlog: split view: two different checkpoints of the same size")
	// ErrMalformedTile is returned for a tile or entry bundle that is
	// truncated, too long, or does not hash to the checkpoint's tree.
	ErrMalformedTile = errors.New("tlog: malformed or tampered tile")
	// ErrMalformedEntry is returned for an entry that is not a valid
	// revocation id or DID document, or does not fit an entry bundle.
	ErrMalformedEntry = errors.New("tlog: malformed entry")
	// ErrMalformedProof is returned for a consistency proof of the wrong
	// shape, or a witness request or response that does not parse.
	ErrMalformedProof = errors.New("tlog: malformed proof")
	// ErrUnsupportedKey is returned for a log key that is not Ed25519 (an
	// ES256 agency cannot sign checkpoints: C2SP signed notes define
	// Ed25519 only) or a witness key of another signature type.
	ErrUnsupportedKey = errors.New("tlog: unsupported key (log and witness keys must be Ed25519)")
	// ErrInvalidOrigin is returned for an origin or key name with spaces,
	// a plus sign, or that is empty or too long.
	ErrInvalidOrigin = errors.New("tlog: invalid origin or key name")
	// ErrNotFound is returned when the server has no such tile or
	// checkpoint (a non-200 answer).
	ErrNotFound = errors.New("tlog: tile or checkpoint not found")
	// ErrWriter is returned for a Writer misuse (wrong entry kind, a
	// closed writer) or a failure to read or write its directory.
	ErrWriter = errors.New("tlog: writer")
	// ErrWitness is returned by a Writer when a witness refuses or cannot
	// be reached; the checkpoint is still published with the cosignatures
	// gathered.
	ErrWitness = errors.New("tlog: witness did not cosign")
)

package tlog

import (
	"context"

	"github.com/zkcred/zkcred/did/fetch"
)

// Getter sends an HTTP GET; [*fetch.Client] implements it. Its MaxBytes
// must admit a full entry bundle: 2 KiB for a revocation log, 4.2 MiB for
// a keys log (256 documents of [MaxDocumentEntrySize]).
type Getter interface {
	Get(ctx context.Context, rawURL, accept string) (*fetch.Response, error)
}

// TileCache keeps tiles a [Client] downloaded, by their tlog-tiles path
// ("tile/0/001", "tile/entries/x001/234.p/17"). A Client stores only tiles
// it has verified. Implementations must be safe for concurrent use.
type TileCache interface {
	Get(path string) ([]byte, bool)
	Put(path string, data []byte)
}

// Client reads a log published in the tlog-tiles layout under a base URL,
// for a wallet or a verifier: it verifies checkpoints with a [Policy],
// downloads only tiles it lacks and verifies each tile and entry bundle
// against the checkpoint before using it. It is safe for concurrent use.
type Client struct {
	base   string
	get    Getter
	policy *Policy
	cache  TileCache
}

// NewClient returns a client for the log under baseURL (the directory
// holding "checkpoint" and "tile/"), fetching through g and verifying
// with p. A nil cache keeps verified tiles in memory for the client's
// life. Errors wrap [fetch.ErrInvalidURL].
func NewClient(baseURL string, g Getter, p *Policy, cache TileCache) (*Client, error) {
	return nil, errNotImplemented
}

// Latest fetches the log's checkpoint and verifies it with the policy
// ([Policy.Verify]). Errors wrap [ErrNotFound], a fetch sentinel, or the
// errors of [Policy.Verify].
func (c *Client) Latest(ctx context.Context) (*Checkpoint, error) {
	return nil, errNotImplemented
}

// Update fetches the latest checkpoint, verifies it with the policy and,
// when stored (the last checkpoint the caller accepted) is not nil,
// proves from the tiles that it extends stored ([Policy.CheckUpdate]).
// It returns the new checkpoint, which the caller stores in place of
// stored. Errors wrap those of [Client.Latest], [ErrSplitView],
// [ErrInconsistent] or [ErrMalformedTile].
func (c *Client) Update(ctx context.Context, stored *Checkpoint) (*Checkpoint, error) {
	return nil, errNotImplemented
}

// ConsistencyProof computes, from tiles verified against next, the proof
// that next extends old (for [VerifyConsistency]).
func (c *Client) ConsistencyProof(ctx context.Context, old, next *Checkpoint) ([][32]byte, error) {
	return nil, errNotImplemented
}

// Entries returns the entries [from, cp.Size) of the log at checkpoint cp
// (verified by the caller, for instance by [Client.Update]), each checked
// against cp's tree. Errors wrap [ErrMalformedTile], [ErrNotFound] or a
// fetch sentinel.
func (c *Client) Entries(ctx context.Context, cp *Checkpoint, from int64) ([][]byte, error) {
	return nil, errNotImplemented
}

// RevokedIDs returns the revoked ids [from, cp.Size) of a revocation log:
// leaves from+1 to cp.Size of the indexed tree. Errors as
// [Client.Entries], or wrapping [ErrMalformedEntry].
func (c *Client) RevokedIDs(ctx context.Context, cp *Checkpoint, from int64) ([]uint64, error) {
	return nil, errNotImplemented
}

// BytesDownloaded returns the bytes of tile, entry bundle and checkpoint
// bodies this client has downloaded.
func (c *Client) BytesDownloaded() int64 { return 0 }

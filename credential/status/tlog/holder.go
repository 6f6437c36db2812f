package tlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did/fetch"
)

// HolderSync is a wallet's view of one issuer's revocation log: the last
// checkpoint it accepted, every revoked id up to it, and a
// status.HolderView from which it computes its credentials'
// non-revocation witnesses without the whole tree.
//
// [HolderSync.Sync] runs on the wallet's own schedule, never when it
// presents (so the issuer does not learn when its holders present): it
// fetches the latest checkpoint and accepts it only with the issuer's
// signature and the policy's witness quorum, and only if it is consistent
// with the one the wallet stored (a proof from the tiles; another
// checkpoint of the same size is a split view, [ErrSplitView]); it then
// downloads only the entry bundles and tiles it lacks (each verified
// against the checkpoint, so a CDN cannot feed it wrong ids) and only the
// subtree-root chunks whose subtrees changed ([SubtreePath]). The
// checkpoint, with its cosignatures, is what the wallet carries to
// verifiers ([HolderSync.Checkpoint]).
//
// A HolderSync is not safe for concurrent use.
type HolderSync struct {
	client *Client
	get    Getter
	base   string
	depth  int
	view   *status.HolderView
	cp     *Checkpoint
	ids    []uint64
	chunks atomic.Int64 // bytes of subtree chunks downloaded
}

// maxHolderIDs bounds the revoked ids a HolderSync keeps (2^27, 1 GiB of
// ids): beyond it a log is not one a wallet can follow.
const maxHolderIDs = 1 << 27

// NewHolderSync returns the view of the revocation log under baseURL
// (tlog-tiles layout, with [SubtreesDir]), fetched through g and checked
// with policy, for a tree of the given depth with subtree roots at level
// (status.DefaultSubtreeLevel unless the issuer says otherwise). stored
// and ids restore a view the wallet kept: the checkpoint note it last
// accepted (nil for none) and the revoked ids up to it, in log order; the
// note is parsed but not re-verified (it was when accepted: keep it where
// only the wallet writes). Errors wrap those of [NewClient],
// [ParseCheckpoint], status.NewHolderView or [ErrMalformedEntry] (ids that
// do not match the checkpoint's size).
func NewHolderSync(baseURL string, g Getter, policy *Policy, depth, level int, stored []byte, ids []uint64) (*HolderSync, error) {
	c, err := NewClient(baseURL, g, policy, nil)
	if err != nil {
		return nil, err
	}
	// The view keeps the ids: entry bundles need not stay cached (a
	// later sync reads only bundles it has not seen whole).
	c.keepEntries = false
	v, err := status.NewHolderView(depth, level)
	if err != nil {
		return nil, err
	}
	h := &HolderSync{client: c, get: g, base: c.base, depth: depth, view: v}
	if stored != nil {
		cp, err := ParseCheckpoint(stored)
		if err != nil {
			return nil, err
		}
		if cp.Kind != KindRevocation || cp.Origin != policy.Log().Origin() || cp.Indexed.Depth != depth {
			return nil, fmt.Errorf("%w: the stored checkpoint is not of this revocation log", ErrMalformedCheckpoint)
		}
		if int64(len(ids)) != cp.Size {
			return nil, fmt.Errorf("%w: %d stored ids for a checkpoint of size %d", ErrMalformedEntry, len(ids), cp.Size)
		}
		if err := v.Append(ids...); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformedEntry, err)
		}
		h.cp, h.ids = cp, append(make([]uint64, 0, len(ids)+len(ids)/8), ids...)
	} else if len(ids) != 0 {
		return nil, fmt.Errorf("%w: ids without a checkpoint", ErrMalformedEntry)
	}
	return h, nil
}

// Sync brings the view up to the log's latest checkpoint, as the type's
// doc says, and returns it. An older copy of the stored checkpoint (the
// same tree signed earlier, or a smaller tree the stored one is proven to
// extend: a lagging CDN edge) is not refused: Sync keeps and returns the
// stored one. A checkpoint that is refused changes nothing;
// once the ids of an accepted one are appended, the view holds that
// checkpoint, and a chunk that could not be fetched is fetched by the next
// Sync (until then [HolderSync.Witness] fails). Errors
// wrap those of [Client.Update], which Sync does in two parts, the
// consistency proof beside the download of the new entries (among them
// [ErrSplitView],
// [ErrInconsistent], [ErrNoQuorum], [ErrBadSignature]), [Client.RevokedIDs],
// status.ErrInvalidSubtrees, or [ErrNotFound] for a missing chunk.
func (h *HolderSync) Sync(ctx context.Context) (*Checkpoint, error) {
	next, err := h.client.Latest(ctx)
	if err != nil {
		return nil, err
	}
	if next.Kind != KindRevocation || next.Indexed.Depth != h.depth {
		return nil, fmt.Errorf("%w: not a depth-%d revocation log", ErrMalformedCheckpoint, h.depth)
	}
	if h.cp != nil {
		// A copy the stored checkpoint is proven to extend (a CDN edge
		// or cache behind the others): not a contradiction, nothing new.
		stale, err := h.stale(ctx, next)
		if err != nil {
			return nil, err
		}
		if stale {
			next = h.cp
		}
	}
	from := int64(len(h.ids))
	if next.Size <= from {
		// Nothing to download: the same state (or a split view or a
		// log that shrank, which the check refuses).
		if err := h.client.checkExtends(ctx, h.cp, next); err != nil {
			return nil, err
		}
		if next.Size < from {
			return nil, fmt.Errorf("%w: a checkpoint of %d entries after %d", ErrInconsistent, next.Size, from)
		}
	}
	if next.Size-from > maxHolderIDs-from {
		return nil, fmt.Errorf("%w: %d revocations, more than a wallet follows", ErrMalformedEntry, next.Size)
	}
	// Decode the new ids straight into the spare capacity of h.ids (kept
	// with an eighth of headroom, so later syncs do not copy them all);
	// h.ids grows only once they are verified and appended to the view.
	k := int(next.Size - from)
	if cap(h.ids)-len(h.ids) < k {
		grown := make([]uint64, len(h.ids), len(h.ids)+k+(len(h.ids)+k)/8)
		copy(grown, h.ids)
		h.ids = grown
	}
	fresh := h.ids[from:next.Size]
	if next.Size > from {
		// The consistency proof and the new entries download together
		// (one round trip fewer); nothing is kept unless both succeed.
		var extendsErr error
		var wg sync.WaitGroup
		wg.Go(func() { extendsErr = h.client.checkExtends(ctx, h.cp, next) })
		err := h.client.revokedIDsInto(ctx, next, from, fresh)
		wg.Wait()
		// A refusal of the checkpoint comes first; a failed download
		// of the proof's tiles may be the entries' failure stopping it.
		switch {
		case extendsErr != nil && (err == nil || !errors.Is(extendsErr, fetch.ErrFetch)):
			// The refused checkpoint's tiles, verified against it, must
			// not be read as the next checkpoint's (a fork shares paths).
			h.client.dropCachedTiles()
			return nil, extendsErr
		case err != nil:
			return nil, err
		}
	}
	if err := h.view.Append(fresh...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedEntry, err)
	}
	h.ids = h.ids[:next.Size]
	h.cp = next
	// Download the chunks in parallel, apply them in order (the view is
	// not safe for concurrent use); the first error in chunk order wins.
	stale := h.view.StaleChunks()
	bodies := make([][]byte, len(stale))
	errs := make([]error, len(stale))
	fetchEach(len(stale), func(i int) {
		bodies[i], errs[i] = h.fetchChunk(ctx, next.Size, stale[i])
	})
	for i := range stale {
		err := errs[i]
		if err == nil {
			err = h.view.ApplySubtreeChunk(bodies[i])
		}
		if err != nil {
			return nil, err
		}
	}
	return next, nil
}

// stale reports whether next, a verified checkpoint of this log, is an
// older state of the stored one: the same tree signed earlier, or a
// smaller tree the stored checkpoint is proven (from tiles verified
// against the stored one) to extend. A stale copy is what a lagging CDN
// edge or cache serves, so it must not read as a split view
// ([ErrInconsistent]); anything else is left to the consistency check.
// Errors are those of reading the stored checkpoint's tiles: without
// them the wallet cannot tell a lagging copy from a fork.
func (h *HolderSync) stale(ctx context.Context, next *Checkpoint) (bool, error) {
	switch {
	case next.Size == h.cp.Size:
		return h.cp.Same(next) && next.Time.Before(h.cp.Time), nil
	case next.Size < h.cp.Size:
		if h.cp.Time.Before(next.Time) || next.Indexed.Sequence >= h.cp.Indexed.Sequence {
			return false, nil // signed after the stored one: no older copy
		}
		proof, err := h.client.ConsistencyProof(ctx, next, h.cp)
		if err != nil {
			return false, err
		}
		return h.client.policy.CheckUpdate(next, h.cp, proof) == nil, nil
	}
	return false, nil
}

func (h *HolderSync) fetchChunk(ctx context.Context, n int64, j uint64) ([]byte, error) {
	p := SubtreePath(n, j)
	resp, err := getFile(ctx, h.get, h.base+p, status.MaxSubtreeChunkSize)
	if errors.Is(err, fetch.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %s: more than %d bytes: %w", status.ErrInvalidSubtrees, p, status.MaxSubtreeChunkSize, err)
	}
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%w: %s: %s", ErrNotFound, p, resp.Status)
	}
	h.chunks.Add(int64(len(resp.Body)))
	if len(resp.Body) > status.MaxSubtreeChunkSize {
		return nil, fmt.Errorf("%w: %s: %d bytes", status.ErrInvalidSubtrees, p, len(resp.Body))
	}
	return resp.Body, nil
}

// Witness returns the non-revocation witness of revocation id against
// the checkpoint's indexed root (status.HolderView.NonRevocationWitness);
// protocol.Holding.NonRevoked takes it. Errors wrap status.ErrRevoked,
// status.ErrSubtreeMismatch (the published chunks do not lead to the
// checkpoint's root: sync again later) or [ErrNotFound] before any sync.
func (h *HolderSync) Witness(id uint64) (*status.Witness, error) {
	if h.cp == nil {
		return nil, fmt.Errorf("%w: no checkpoint yet: sync first", ErrNotFound)
	}
	w, err := h.view.NonRevocationWitness(id, h.cp.Indexed.Root)
	if errors.Is(err, status.ErrSubtreesStale) {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return w, err
}

// Checkpoint returns the accepted checkpoint (nil before the first sync):
// its Note, with the witness cosignatures, is what the wallet stores and
// carries to verifiers.
func (h *HolderSync) Checkpoint() *Checkpoint { return h.cp }

// IDs returns the revoked ids up to the checkpoint, in log order, for the
// wallet to store beside the checkpoint (the caller must not modify them).
func (h *HolderSync) IDs() []uint64 { return h.ids }

// BytesDownloaded returns the bytes of checkpoints, tiles, entry bundles
// and subtree chunks this view has downloaded.
func (h *HolderSync) BytesDownloaded() int64 { return h.client.BytesDownloaded() + h.chunks.Load() }

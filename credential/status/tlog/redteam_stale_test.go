package tlog_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did/fetch"
)

// laggingEdge is a CDN edge whose checkpoint is an older copy (served
// from stale) while every other path comes from the origin (fresh).
type laggingEdge struct {
	stale, fresh *fixture
}

func (e laggingEdge) Get(ctx context.Context, rawURL, accept string) (*fetch.Response, error) {
	if strings.HasSuffix(rawURL, "/checkpoint") {
		return e.stale.http.Get(ctx, e.stale.logURL+"/checkpoint", accept)
	}
	return e.fresh.http.Get(ctx, rawURL, accept)
}

// TestHolderSyncAttackStaleEdgeNotSplitView (red-team): a CDN edge that
// still serves an older checkpoint of the same log (a prefix of the
// stored one, or the same tree signed earlier) is not a split view: a
// wallet maps ErrInconsistent to "the agency showed you a different
// record, do not use this credential", so any cache lagging behind (or
// anyone replaying a public checkpoint) could disable every credential
// of the agency. The stored view is kept and Sync reports no error; a
// smaller checkpoint that the stored one does not extend is still
// ErrInconsistent.
func TestHolderSyncAttackStaleEdgeNotSplitView(t *testing.T) {
	const level = 4
	f := newFixture(t, 0)
	f.revoke(seqIDs(1, 200)...)
	honest := f.revoke(seqIDs(201, 100)...)
	if err := tlog.WriteSubtrees(f.dir, f.tree, level); err != nil {
		t.Fatal(err)
	}
	other := func(now time.Time, ids ...[]uint64) *fixture {
		g := newFixture(t, 0)
		g.key = f.key
		g.writer = g.open()
		g.now = now
		for _, b := range ids {
			g.revoke(b...)
		}
		return g
	}
	early := time.Unix(1_800_000_000, 0).Add(-time.Hour)
	for _, tc := range []struct {
		name  string
		stale *fixture
		want  error
	}{
		{"prefix", other(early, f.ids[:200]), nil},
		{"same tree signed earlier", other(early, f.ids[:200], f.ids[200:]), nil},
		{"empty", other(early), nil},
		{"smaller fork", other(early, append(slices.Clone(f.ids[:199]), 7_000_000)), tlog.ErrInconsistent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Restored from storage as a wallet does, then synced
			// against the lagging edge.
			h, err := tlog.NewHolderSync(f.logURL, laggingEdge{stale: tc.stale, fresh: f}, f.policy(0), testDepth, level, honest.Note, f.ids)
			if err != nil {
				t.Fatal(err)
			}
			cp, err := h.Sync(ctx)
			if tc.want != nil {
				mustIs(t, err, tc.want)
			} else if err != nil {
				t.Fatalf("a stale copy of the stored checkpoint was refused: %v", err)
			} else if !cp.Same(honest) {
				t.Fatal("Sync did not return the stored checkpoint")
			}
			if h.Checkpoint().Size != 300 || !slices.Equal(h.IDs(), f.ids) || h.Checkpoint().Hash != honest.Hash {
				t.Fatal("a stale checkpoint changed the wallet's view")
			}
			if tc.want == nil {
				if _, err := h.Witness(1); err == nil {
					t.Fatal("a revoked id got a witness")
				}
				if _, err := h.Witness(1_000_000); err != nil {
					t.Fatalf("no witness after a stale sync: %v", err)
				}
			}
		})
	}
}

package tlog_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
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

// switchGetter serves the log of whichever fixture it currently points at.
type switchGetter struct{ to atomic.Pointer[fixture] }

func (s *switchGetter) Get(ctx context.Context, rawURL, accept string) (*fetch.Response, error) {
	f := s.to.Load()
	return f.http.Get(ctx, f.logURL+strings.TrimPrefix(rawURL, "https://log.invalid"), accept)
}

// TestHolderSyncAttackForkPoisonsTileCache (red-team): a HolderSync shown
// a fork of its log (refused: ErrInconsistent) had cached the fork's hash
// tiles, verified against the fork's checkpoint, in its client's memory;
// every later sync against the honest log then read them, failed their
// verification (ErrMalformedTile) and never dropped them, so the wallet
// could not sync again until it restarted. A refused checkpoint or a tile
// that fails verification empties the cache.
func TestHolderSyncAttackForkPoisonsTileCache(t *testing.T) {
	const level = 4
	f := newFixture(t, 0)
	honest := f.revoke(seqIDs(1, 300)...)
	if err := tlog.WriteSubtrees(f.dir, f.tree, level); err != nil {
		t.Fatal(err)
	}
	fork := newFixture(t, 0)
	fork.key = f.key
	fork.writer = fork.open()
	fork.now = f.now
	fork.revoke(f.ids[:200]...)
	fork.revoke(seqIDs(5_000_000, 150)...)
	var g switchGetter
	g.to.Store(fork)
	h, err := tlog.NewHolderSync("https://log.invalid", &g, f.policy(0), testDepth, level, honest.Note, f.ids)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Sync(ctx); !errors.Is(err, tlog.ErrInconsistent) {
		t.Fatalf("fork: %v, want ErrInconsistent", err)
	}
	f.revoke(seqIDs(1_000, 60)...)
	if err := tlog.WriteSubtrees(f.dir, f.tree, level); err != nil {
		t.Fatal(err)
	}
	g.to.Store(f)
	cp, err := h.Sync(ctx)
	if err != nil {
		t.Fatalf("the honest log after a fork: %v", err)
	}
	if cp.Size != 360 || !slices.Equal(h.IDs(), f.ids) {
		t.Fatal("wrong view after the honest sync")
	}
}

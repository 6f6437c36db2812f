package tlog_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did/fetch"
)

// chunkCounter counts the subtree chunks fetched through it.
type chunkCounter struct {
	next tlog.Getter
	n    atomic.Int64
}

func (c *chunkCounter) Get(ctx context.Context, u, accept string) (*fetch.Response, error) {
	if strings.Contains(u, "/subtrees/") {
		c.n.Add(1)
	}
	return c.next.Get(ctx, u, accept)
}

// TestHolderSyncRestoreSubtreeRoots: a HolderSync restored from the
// stored checkpoint, ids and subtree roots fetches, for one new
// revocation, only the chunks it changes (at most 2 of 5), where one
// restored without the roots fetches all 5; both compute the same valid
// witness. Roots of another count are refused.
func TestHolderSyncRestoreSubtreeRoots(t *testing.T) {
	const level, mine = 1, 5 // 301 subtrees of 2 leaves: 5 chunks
	f := newFixture(t, 0)
	publish := func(ids []uint64) {
		for _, id := range ids {
			insert(t, f, id)
		}
		if err := tlog.WriteSubtrees(f.dir, f.tree, level); err != nil {
			t.Fatal(err)
		}
		f.seq++
		if _, err := f.writer.AppendRevocations(ctx, ids, tlog.IndexedRoot{Depth: testDepth, Root: f.tree.Root(), Sequence: f.seq}); err != nil {
			t.Fatal(err)
		}
	}
	all := seqIDs(1000, 601)
	publish(all[:600])
	h, err := tlog.NewHolderSync(f.logURL, f.http, f.policy(0), testDepth, level, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := h.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	roots := h.SubtreeRoots()
	if len(roots) != 301*32 {
		t.Fatalf("%d bytes of roots", len(roots))
	}
	publish(all[600:])
	chunks := func(restore bool) int64 {
		g := &chunkCounter{next: f.http}
		h2, err := tlog.NewHolderSync(f.logURL, g, f.policy(0), testDepth, level, cp.Note, all[:600])
		if err != nil {
			t.Fatal(err)
		}
		if restore {
			if err := h2.RestoreSubtreeRoots(roots); err != nil {
				t.Fatal(err)
			}
		}
		cp2, err := h2.Sync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w, err := h2.Witness(mine)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.VerifyNonMembership(cp2.Indexed.Root, testDepth, fr.NewElement(mine)); err != nil {
			t.Fatal(err)
		}
		return g.n.Load()
	}
	if with, without := chunks(true), chunks(false); with > 2 || without != 5 {
		t.Errorf("chunks fetched: %d restored with roots, %d without (want at most 2, and 5)", with, without)
	}
	h3, err := tlog.NewHolderSync(f.logURL, f.http, f.policy(0), testDepth, level, cp.Note, all[:600])
	if err != nil {
		t.Fatal(err)
	}
	mustIs(t, h3.RestoreSubtreeRoots(roots[32:]), status.ErrInvalidSubtrees)
}

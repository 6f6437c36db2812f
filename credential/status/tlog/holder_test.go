package tlog_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
)

// TestHolderSyncTampered: a wallet's HolderSync refuses a changed or
// truncated entry bundle, partial bundle or subtree chunk with a
// sentinel, keeps the ids and checkpoint it had, and syncs once the CDN
// serves the right files again.
func TestHolderSyncTampered(t *testing.T) {
	const level = 4
	for _, tc := range []struct {
		name string
		path string // relative to the log directory, at the second checkpoint
		edit func([]byte) []byte
		want error
		// chunk: the ids are accepted first, so the view holds the new
		// checkpoint and the next sync fetches the chunk again.
		chunk bool
	}{
		{"full bundle byte", "tile/entries/001", func(b []byte) []byte { b[7] ^= 1; return b }, tlog.ErrMalformedTile, false},
		{"full bundle truncated", "tile/entries/001", func(b []byte) []byte { return b[:len(b)-10] }, tlog.ErrMalformedTile, false},
		{"partial bundle byte", "tile/entries/002.p/88", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, tlog.ErrMalformedTile, false},
		{"level 1 tile", "tile/1/000.p/2", func(b []byte) []byte { b[40] ^= 1; return b }, tlog.ErrMalformedTile, false},
		{"chunk truncated", "subtrees/600/0", func(b []byte) []byte { return b[:len(b)-1] }, status.ErrInvalidSubtrees, true},
		{"chunk root", "subtrees/600/0", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 0)
			publish := func(ids []uint64) {
				for _, id := range ids {
					insert(t, f, id)
				}
				if err := tlog.WriteSubtrees(f.dir, f.tree, level); err != nil {
					t.Fatal(err)
				}
				f.seq++
				f.now = f.now.Add(60e9)
				if _, err := f.writer.AppendRevocations(context.Background(), ids, tlog.IndexedRoot{Depth: testDepth, Root: f.tree.Root(), Sequence: f.seq}); err != nil {
					t.Fatal(err)
				}
			}
			all := seqIDs(1, 600)
			publish(all[:300])
			h, err := tlog.NewHolderSync(f.logURL, f.http, f.policy(0), testDepth, level, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			const mine = 5
			if _, err := h.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			publish(all[300:])
			p := filepath.Join(f.dir, filepath.FromSlash(tc.path))
			orig, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, tc.edit(slices.Clone(orig)), 0o644); err != nil {
				t.Fatal(err)
			}
			cp, err := h.Sync(ctx)
			if tc.want != nil {
				mustIs(t, err, tc.want)
				if tc.chunk {
					if _, err := h.Witness(mine); !errors.Is(err, tlog.ErrNotFound) {
						t.Fatalf("witness without its chunk: %v", err)
					}
				} else if h.Checkpoint().Size != 300 || !slices.Equal(h.IDs(), all[:300]) {
					t.Fatalf("a refused sync changed the view: size %d, %d ids", h.Checkpoint().Size, len(h.IDs()))
				}
			} else {
				// A wrong root in a chunk is caught when the witness is
				// computed against the checkpoint's indexed root.
				if err != nil {
					t.Fatal(err)
				}
				if _, err := h.Witness(mine); err == nil {
					t.Fatal("witness from a tampered chunk")
				}
			}
			if err := os.WriteFile(p, orig, 0o644); err != nil {
				t.Fatal(err)
			}
			if cp, err = h.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if cp.Size != 600 || !slices.Equal(h.IDs(), all) {
				t.Fatalf("synced to %d with %d ids", cp.Size, len(h.IDs()))
			}
			w, err := h.Witness(mine)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.VerifyNonMembership(cp.Indexed.Root, testDepth, fr.NewElement(mine)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestHolderSyncRefusesOtherLogs: a wallet that stored 300 revocations
// refuses a log of the same size with other ids (split view), a log that
// shrank, and one that forked and grew (its consistency proof is checked
// while its new entries download); none changes what it holds.
func TestHolderSyncRefusesOtherLogs(t *testing.T) {
	const level = 4
	f := newFixture(t, 0)
	honest := f.revoke(seqIDs(1, 300)...)
	other := func(ids ...[]uint64) *fixture {
		g := newFixture(t, 0)
		g.key = f.key
		g.writer = g.open()
		g.now = f.now
		for _, b := range ids {
			g.revoke(b...)
		}
		return g
	}
	for _, tc := range []struct {
		name string
		g    *fixture
		want error
	}{
		{"split view", other(seqIDs(99, 300)), tlog.ErrSplitView},
		{"shrank", other(f.ids[:200]), tlog.ErrInconsistent},
		{"forked and grew", other(f.ids[:200], seqIDs(5_000_000, 150)), tlog.ErrInconsistent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := tlog.NewHolderSync(tc.g.logURL, tc.g.http, f.policy(0), testDepth, level, honest.Note, f.ids)
			if err != nil {
				t.Fatal(err)
			}
			_, err = h.Sync(ctx)
			mustIs(t, err, tc.want)
			if h.Checkpoint().Size != 300 || !slices.Equal(h.IDs(), f.ids) || h.Checkpoint().Hash != honest.Hash {
				t.Fatal("a refused checkpoint changed the wallet's view")
			}
		})
	}
}

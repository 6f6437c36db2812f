package status

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// TestHolderViewRestoreSubtreeRoots: a view restored from its ids and the
// roots SubtreeRoots returned needs no chunk and gives the tree's
// witnesses; after new ids it asks only for the chunks they changed.
// Changed roots give ErrSubtreeMismatch (never a witness) and every chunk
// is stale again; roots of another count or non-canonical ones are
// refused with ErrInvalidSubtrees.
func TestHolderViewRestoreSubtreeRoots(t *testing.T) {
	const depth, level = 16, 1 // 301 subtrees: 5 chunks
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]uint64, 0, 700)
	for len(ids) < cap(ids) {
		ids = append(ids, rng.Uint64N(1<<40)+1)
	}
	tr := revocationTree(t, depth, ids[:600])
	v, err := NewHolderView(depth, level)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Append(ids[:600]...); err != nil {
		t.Fatal(err)
	}
	if v.SubtreeRoots() != nil {
		t.Fatal("roots handed out before the chunks were applied")
	}
	syncView(t, v, tr)
	roots := v.SubtreeRoots()

	restore := func(b []byte) (*HolderView, error) {
		r, err := NewHolderView(depth, level)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Append(ids[:600]...); err != nil {
			t.Fatal(err)
		}
		return r, r.RestoreSubtreeRoots(b)
	}
	r, err := restore(roots)
	if err != nil || len(r.StaleChunks()) != 0 {
		t.Fatalf("restored: %v, stale %v", err, r.StaleChunks())
	}
	checkWitnesses(t, r, tr, probeIDs(rng, ids[:600]))

	// A new id: only the chunks of the subtrees it changes (its leaf's
	// and its predecessor's).
	if err := r.Append(ids[600]); err != nil {
		t.Fatal(err)
	}
	tr = revocationTree(t, depth, ids[:601])
	if s, all := len(r.StaleChunks()), SubtreeChunkCount(601, level); s > 2 || all != 5 {
		t.Errorf("after a new id %d of %d chunks stale", s, all)
	}
	syncView(t, r, tr)
	checkWitnesses(t, r, tr, probeIDs(rng, ids[:601]))

	// Changed roots: no witness, every chunk stale.
	bad := append([]byte(nil), roots...)
	bad[len(bad)-1] ^= 1
	if r, err = restore(bad); err != nil {
		t.Fatal(err)
	}
	root := revocationTree(t, depth, ids[:600]).Root()
	if _, err := r.NonRevocationWitness(ids[0]+1, root); !errors.Is(err, ErrSubtreeMismatch) {
		// ids[0]+1 may lie in an unchanged subtree: the top check fails then.
		t.Fatalf("changed roots: %v", err)
	}
	if len(r.StaleChunks()) == 0 {
		t.Error("after a mismatch no chunk is stale")
	}
	for _, b := range [][]byte{roots[:len(roots)-32], append(roots, roots[:32]...), func() []byte {
		b := append([]byte(nil), roots...)
		for i := range 32 {
			b[i] = 0xff
		}
		return b
	}()} {
		if _, err := restore(b); !errors.Is(err, ErrInvalidSubtrees) {
			t.Errorf("%d bytes of roots: %v", len(b), err)
		}
	}
}

// FuzzRestoreSubtreeRoots: stored roots never make the view panic; they
// are taken only at the exact size, hand back the same bytes, and a
// witness from them verifies against the root or is refused.
func FuzzRestoreSubtreeRoots(f *testing.F) {
	const depth, level = 10, 2
	ids := randomIDs(71, 300)
	tr := revocationTree(f, depth, ids)
	root := tr.Root()
	base, err := NewHolderView(depth, level)
	if err != nil {
		f.Fatal(err)
	}
	if err := base.Append(ids...); err != nil {
		f.Fatal(err)
	}
	for j := range SubtreeChunkCount(uint64(len(ids)), level) {
		if err := base.ApplySubtreeChunk(mustChunk(f, tr, level, j)); err != nil {
			f.Fatal(err)
		}
	}
	good := base.SubtreeRoots()
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := NewHolderView(depth, level)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Append(ids...); err != nil {
			t.Fatal(err)
		}
		if err := v.RestoreSubtreeRoots(b); err != nil {
			if !errors.Is(err, ErrInvalidSubtrees) {
				t.Fatalf("error without the sentinel: %v", err)
			}
			return
		}
		if got := v.SubtreeRoots(); string(got) != string(b) {
			t.Fatal("roots not handed back as taken")
		}
		w, err := v.NonRevocationWitness(ids[0]+1, root)
		if err != nil {
			if !errors.Is(err, ErrSubtreeMismatch) && !errors.Is(err, ErrRevoked) {
				t.Fatalf("witness error without a sentinel: %v", err)
			}
			return
		}
		if err := w.VerifyNonMembership(root, depth, u64(ids[0]+1)); err != nil {
			t.Fatalf("a witness from restored roots does not verify: %v", err)
		}
	})
}

package status

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// revocationTree builds the registry's tree over ids in leaf order.
func revocationTree(tb testing.TB, depth int, ids []uint64) *Tree {
	tb.Helper()
	vals := make([]fr.Element, len(ids))
	for i, id := range ids {
		vals[i].SetUint64(id)
	}
	t, err := buildTree(depth, revocationMax, false, vals)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// allChunks returns every subtree chunk of t at level.
func allChunks(tb testing.TB, t *Tree, level int) [][]byte {
	tb.Helper()
	var out [][]byte
	for j := range SubtreeChunkCount(uint64(t.Len()), level) {
		b, err := t.SubtreeChunk(level, j)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// syncView applies the chunks v asks for from t and returns their bytes.
func syncView(tb testing.TB, v *HolderView, t *Tree) int {
	tb.Helper()
	var n int
	for _, j := range v.StaleChunks() {
		b, err := t.SubtreeChunk(v.level, j)
		if err != nil {
			tb.Fatal(err)
		}
		if err := v.ApplySubtreeChunk(b); err != nil {
			tb.Fatal(err)
		}
		n += len(b)
	}
	if s := v.StaleChunks(); len(s) != 0 {
		tb.Fatalf("stale chunks %v after sync", s)
	}
	return n
}

// probeIDs returns ids to ask witnesses for: the edges (below all, above
// all, neighbours of revoked ids) and random ones.
func probeIDs(rng *rand.Rand, ids []uint64) []uint64 {
	probe := []uint64{1, 2, ^uint64(0) - 1, ^uint64(0) - 2}
	for range 20 {
		probe = append(probe, rng.Uint64N(^uint64(0)-2)+1)
	}
	for range 10 {
		if len(ids) == 0 {
			break
		}
		id := ids[rng.IntN(len(ids))]
		probe = append(probe, id, id-1, id+1)
	}
	return probe
}

// checkWitnesses compares the view's witnesses with the tree's for probe.
func checkWitnesses(t *testing.T, v *HolderView, tr *Tree, probe []uint64) {
	t.Helper()
	root := tr.Root()
	for _, id := range probe {
		if id == 0 || id == ^uint64(0) {
			continue
		}
		want, werr := NonRevocationWitness(tr, id)
		got, gerr := v.NonRevocationWitness(id, root)
		if werr != nil {
			if !errors.Is(werr, ErrRevoked) || !errors.Is(gerr, ErrRevoked) {
				t.Fatalf("id %d: tree error %v, view error %v", id, werr, gerr)
			}
			continue
		}
		if gerr != nil {
			t.Fatalf("id %d: %v", id, gerr)
		}
		if !slices.Equal(got.Siblings, want.Siblings) || got.Index != want.Index || got.LowValue != want.LowValue || got.LowNext != want.LowNext {
			t.Fatalf("id %d: view witness differs from the tree's (index %d vs %d)", id, got.Index, want.Index)
		}
		if err := got.VerifyNonMembership(root, tr.Depth(), u64(id)); err != nil {
			t.Fatalf("id %d: %v", id, err)
		}
	}
}

// TestHolderViewMatchesTree: for many sizes (empty, one subtree, exactly
// full subtrees and one past), in one batch and in increments, the view's
// witness equals the registry tree's.
func TestHolderViewMatchesTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const depth, level = 10, 3 // subtrees of 8 leaves, up to 1,023 ids
	for _, n := range []int{0, 1, 6, 7, 8, 15, 16, 63, 64, 100, 511, 512, 1000} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			ids := randomIDs(uint64(n)+1, n)
			tr := revocationTree(t, depth, ids)
			v, err := NewHolderView(depth, level)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Append(ids...); err != nil {
				t.Fatal(err)
			}
			if v.Len() != uint64(n) {
				t.Fatalf("Len %d", v.Len())
			}
			syncView(t, v, tr)
			checkWitnesses(t, v, tr, probeIDs(rng, ids))
		})
	}
}

// TestHolderViewIncremental grows a view in batches of various sizes
// (single ids, small batches, a batch over an eighth of the ids) while
// keeping subtrees hashed, and checks its witnesses and that it asks only
// for the chunks whose roots changed.
func TestHolderViewIncremental(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const depth, level = 12, 4
	all := randomIDs(11, 3000)
	tr, err := NewTree(depth, RevocationMax())
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewHolderView(depth, level)
	if err != nil {
		t.Fatal(err)
	}
	// Holders whose low leaves are spread: kept subtrees must follow.
	mine := probeIDs(rng, all[:50])
	at := 0
	for _, batch := range []int{0, 1, 1, 5, 300, 1, 2, 40, 17, 1000, 3, 60, 1, 500, 70} {
		before := chunksOf(t, tr, level)
		for _, id := range all[at : at+batch] {
			if err := tr.Insert(u64(id)); err != nil {
				t.Fatal(err)
			}
		}
		if err := v.Append(all[at : at+batch]...); err != nil {
			t.Fatal(err)
		}
		at += batch
		// Every chunk that changed is asked for (a smaller batch than an
		// eighth asks for no more than the changed ones... plus those
		// sharing a chunk).
		after := chunksOf(t, tr, level)
		stale := v.StaleChunks()
		for j := range after {
			if j < len(before) && after[j] == before[j] {
				continue
			}
			if !slices.Contains(stale, uint64(j)) {
				t.Fatalf("after %d ids: chunk %d changed but is not stale (%v)", at, j, stale)
			}
		}
		syncView(t, v, tr)
		checkWitnesses(t, v, tr, mine)
	}
}

func chunksOf(tb testing.TB, t *Tree, level int) []string {
	var out []string
	for _, b := range allChunks(tb, t, level) {
		out = append(out, string(b[subtreeHeaderLen:]))
	}
	return out
}

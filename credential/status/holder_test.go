package status

import (
	"encoding/binary"
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
		// O(new ids): each new id changes two leaves at most, so a small
		// batch (up to an eighth of the ids held) asks for at most 2 chunks
		// per id.
		if prev := at - batch; batch > 0 && batch <= prev/8 && len(stale) > 2*batch {
			t.Fatalf("after %d ids: %d new ids made %d chunks stale", at, batch, len(stale))
		}
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

// TestHolderViewDefaultShape: the registry's default shape (depth 24,
// level 12), ids whose low leaves sit at subtree boundaries included.
func TestHolderViewDefaultShape(t *testing.T) {
	ids := randomIDs(21, 9000)
	tr := revocationTree(t, DefaultDepth, ids)
	v, err := NewHolderView(DefaultDepth, DefaultSubtreeLevel)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Append(ids...); err != nil {
		t.Fatal(err)
	}
	syncView(t, v, tr)
	// Leaves 4095, 4096, 8191 and 8192 end and start subtrees: the ids
	// just above their values have them as low leaf (unless revoked).
	probe := []uint64{1, ^uint64(0) - 1}
	for _, leaf := range []int{1, 4095, 4096, 8191, 8192, 9000} {
		probe = append(probe, ids[leaf-1]+1, ids[leaf-1])
	}
	checkWitnesses(t, v, tr, probe)
	w, err := v.NonRevocationWitness(ids[4095]+1, tr.Root())
	if err != nil {
		t.Fatal(err)
	}
	if w.Index != 4096 && !tr.Contains(u64(ids[4095]+1)) {
		t.Fatalf("low leaf %d, want 4096", w.Index)
	}
}

// TestHolderViewEmpty: the empty tree (the sentinel only) has a witness
// for every id, from one chunk.
func TestHolderViewEmpty(t *testing.T) {
	tr := revocationTree(t, 8, nil)
	v, err := NewHolderView(8, 8)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.NonRevocationWitness(5, tr.Root()); !errors.Is(err, ErrSubtreesStale) {
		t.Fatalf("before any chunk: %v, want ErrSubtreesStale", err)
	}
	if got := v.StaleChunks(); !slices.Equal(got, []uint64{0}) {
		t.Fatalf("stale %v", got)
	}
	syncView(t, v, tr)
	checkWitnesses(t, v, tr, []uint64{1, 2, 1 << 40, ^uint64(0) - 1})
}

// TestHolderViewErrors: bad ids, revoked ids, a full tree and bad shapes
// get their sentinels, and a refused Append leaves the view as it was.
func TestHolderViewErrors(t *testing.T) {
	for _, c := range []struct {
		depth, level int
		want         error
	}{
		{0, 1, ErrInvalidDepth},
		{65, 1, ErrInvalidDepth},
		{8, 0, ErrInvalidSubtrees},
		{8, 9, ErrInvalidSubtrees},
		{32, 21, ErrInvalidSubtrees},
	} {
		if _, err := NewHolderView(c.depth, c.level); !errors.Is(err, c.want) {
			t.Errorf("NewHolderView(%d, %d): %v, want %v", c.depth, c.level, err, c.want)
		}
	}
	ids := []uint64{50, 10, 30}
	tr := revocationTree(t, 3, ids)
	v, err := NewHolderView(3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Append(ids...); err != nil {
		t.Fatal(err)
	}
	syncView(t, v, tr)
	for _, c := range []struct {
		name string
		ids  []uint64
		want error
	}{
		{"zero", []uint64{7, 0}, ErrOutOfRange},
		{"max", []uint64{^uint64(0)}, ErrOutOfRange},
		{"already revoked", []uint64{30}, ErrPresent},
		{"repeated in the batch", []uint64{7, 7}, ErrPresent},
		{"past the capacity", []uint64{1, 2, 3, 4, 5}, ErrTreeFull},
	} {
		if err := v.Append(c.ids...); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if v.Len() != 3 || len(v.StaleChunks()) != 0 {
			t.Fatalf("%s: refused Append changed the view", c.name)
		}
	}
	for _, id := range ids {
		if _, err := v.NonRevocationWitness(id, tr.Root()); !errors.Is(err, ErrRevoked) {
			t.Errorf("revoked %d: %v", id, err)
		}
	}
	for _, id := range []uint64{0, ^uint64(0)} {
		if _, err := v.NonRevocationWitness(id, tr.Root()); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("id %d: %v", id, err)
		}
	}
	checkWitnesses(t, v, tr, []uint64{1, 11, 49, 51})
	// A small batch appends ids one by one; a batch past the capacity of
	// this depth-3 tree (8 leaves, 7 ids) is refused whole.
	if err := v.Append(20, 40, 60, 70, 80); !errors.Is(err, ErrTreeFull) {
		t.Fatalf("full: %v", err)
	}
	if err := v.Append(20, 40); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{20, 40} {
		if err := tr.Insert(u64(id)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.NonRevocationWitness(11, tr.Root()); !errors.Is(err, ErrSubtreesStale) {
		t.Fatalf("after Append without chunks: %v, want ErrSubtreesStale", err)
	}
	syncView(t, v, tr)
	checkWitnesses(t, v, tr, []uint64{1, 11, 21, 39, 41, 49, 51, 1 << 60})
}

// TestHolderViewTampered: a changed published root (the holder's own
// subtree's or another's), a wrong expected root, ids that disagree with
// the root, and chunks for another tree are all refused; after a
// mismatch every chunk is stale again and honest chunks repair the view.
func TestHolderViewTampered(t *testing.T) {
	const depth, level = 12, 4
	ids := randomIDs(31, 1500)
	tr := revocationTree(t, depth, ids)
	root := tr.Root()
	good := allChunks(t, tr, level)
	honest := func(t *testing.T) *HolderView {
		v, err := NewHolderView(depth, level)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Append(ids...); err != nil {
			t.Fatal(err)
		}
		for _, c := range good {
			if err := v.ApplySubtreeChunk(c); err != nil {
				t.Fatal(err)
			}
		}
		return v
	}
	id := ids[700] + 1 // low leaf 701, subtree 43, chunk 0
	w, err := honest(t).NonRevocationWitness(id, root)
	if err != nil {
		t.Fatal(err)
	}
	own := w.Index >> level
	for _, c := range []struct {
		name    string
		subtree uint64
	}{
		{"own subtree", own},
		{"other subtree, same chunk", own + 1},
		{"other chunk", 70},
		{"last subtree", subtreeCount(uint64(len(ids)), level) - 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := honest(t)
			bad := slices.Clone(good[c.subtree/SubtreeChunkRoots])
			off := subtreeHeaderLen + 32*int(c.subtree%SubtreeChunkRoots)
			bad[off+31] ^= 1 // still canonical: the top byte is unchanged
			if err := v.ApplySubtreeChunk(bad); err != nil {
				t.Fatal(err)
			}
			if _, err := v.NonRevocationWitness(id, root); !errors.Is(err, ErrSubtreeMismatch) {
				t.Fatalf("%v, want ErrSubtreeMismatch", err)
			}
			if got := len(v.StaleChunks()); got != len(good) {
				t.Fatalf("%d stale chunks after a mismatch, want all %d", got, len(good))
			}
			for _, g := range good {
				if err := v.ApplySubtreeChunk(g); err != nil {
					t.Fatal(err)
				}
			}
			checkWitnesses(t, v, tr, []uint64{id})
		})
	}
	t.Run("wrong expected root", func(t *testing.T) {
		v := honest(t)
		other := root
		other.Add(&other, &other)
		if _, err := v.NonRevocationWitness(id, other); !errors.Is(err, ErrSubtreeMismatch) {
			t.Fatalf("%v, want ErrSubtreeMismatch", err)
		}
	})
	t.Run("ids disagree with the root", func(t *testing.T) {
		v, err := NewHolderView(depth, level)
		if err != nil {
			t.Fatal(err)
		}
		forged := slices.Clone(ids)
		forged[701], forged[702] = forged[702], forged[701] // same set, other order
		if err := v.Append(forged...); err != nil {
			t.Fatal(err)
		}
		for _, c := range good {
			if err := v.ApplySubtreeChunk(c); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := v.NonRevocationWitness(id, root); !errors.Is(err, ErrSubtreeMismatch) {
			t.Fatalf("%v, want ErrSubtreeMismatch", err)
		}
	})
	t.Run("chunk of another tree", func(t *testing.T) {
		v := honest(t)
		small := revocationTree(t, depth, ids[:1000])
		other := revocationTree(t, depth+1, ids)
		for name, b := range map[string][]byte{
			"fewer ids":   mustChunk(t, small, level, 0),
			"other depth": mustChunk(t, other, level, 0),
			"other level": mustChunk(t, tr, level+1, 0),
		} {
			if err := v.ApplySubtreeChunk(b); !errors.Is(err, ErrInvalidSubtrees) {
				t.Errorf("%s: %v, want ErrInvalidSubtrees", name, err)
			}
		}
		checkWitnesses(t, v, tr, []uint64{id})
	})
}

func mustChunk(tb testing.TB, t *Tree, level int, j uint64) []byte {
	tb.Helper()
	b, err := t.SubtreeChunk(level, j)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestParseSubtreeChunkRejects: every malformed chunk is refused with
// ErrInvalidSubtrees, never a panic.
func TestParseSubtreeChunkRejects(t *testing.T) {
	tr := revocationTree(t, 10, randomIDs(41, 200))
	full := mustChunk(t, tr, 2, 0) // 51 subtrees of 4: one chunk of 51 roots
	if len(full) != subtreeHeaderLen+32*51 {
		t.Fatalf("chunk of %d bytes", len(full))
	}
	if _, err := parseSubtreeChunk(full); err != nil {
		t.Fatal(err)
	}
	set := func(off int, b ...byte) []byte {
		c := slices.Clone(full)
		copy(c[off:], b)
		return c
	}
	u64be := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	cases := map[string][]byte{
		// Lengths.
		"empty":               nil,
		"truncated header":    full[:subtreeHeaderLen-1],
		"header only":         full[:subtreeHeaderLen],
		"truncated root":      full[:len(full)-1],
		"one root short":      full[:len(full)-32],
		"trailing byte":       append(slices.Clone(full), 0),
		"extra root":          append(slices.Clone(full), make([]byte, 32)...),
		"over the size limit": make([]byte, MaxSubtreeChunkSize+1),
		// Header fields.
		"bad magic":           set(0, 'x'),
		"version 2":           set(7, 2),
		"depth 0":             set(8, 0),
		"depth 65":            set(8, 65),
		"level 0":             set(9, 0),
		"level above depth":   set(9, 11),
		"count 2^depth":       set(10, u64be(1<<10)...),
		"count all ones":      set(10, u64be(^uint64(0))...),
		"count of more roots": set(10, u64be(300)...),
		"chunk index 1":       set(18, u64be(1)...),
		"chunk index 2^63":    set(18, u64be(1<<63)...),
		// Roots.
		"root equal to r": set(subtreeHeaderLen, fr.Modulus().FillBytes(make([]byte, 32))...),
		"root all ones":   set(subtreeHeaderLen+32, slices.Repeat([]byte{0xff}, 32)...),
	}
	for name, b := range cases {
		c, err := parseSubtreeChunk(b)
		if !errors.Is(err, ErrInvalidSubtrees) || c != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Level above 20 at depth 24.
	big := revocationTree(t, 24, nil)
	if _, err := big.SubtreeChunk(21, 0); !errors.Is(err, ErrInvalidSubtrees) {
		t.Errorf("level 21: %v", err)
	}
	if _, err := tr.SubtreeChunk(2, 1); !errors.Is(err, ErrInvalidSubtrees) {
		t.Errorf("chunk index past the end: %v", err)
	}
	set2, err := NewSetTree(8, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set2.SubtreeChunk(2, 0); !errors.Is(err, ErrInvalidSubtrees) {
		t.Errorf("set tree: %v", err)
	}
}

// TestHolderIndex checks the chunked index against a sorted slice under
// random inserts, enough to split chunks many times.
func TestHolderIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	var x holderIndex
	var ref []uint64
	check := func(v uint64) {
		i, found := slices.BinarySearch(ref, v)
		p, ok := x.floor(v)
		switch {
		case found:
			if !ok || p.id != v {
				t.Fatalf("floor(%d) = %v %v, want itself", v, p, ok)
			}
		case i == 0:
			if ok {
				t.Fatalf("floor(%d) = %v, want none", v, p)
			}
		default:
			if !ok || p.id != ref[i-1] {
				t.Fatalf("floor(%d) = %v, want %d", v, p, ref[i-1])
			}
		}
		j := i
		if found {
			j++
		}
		want := ^uint64(0)
		if j < len(ref) {
			want = ref[j]
		}
		if got := x.succ(v); got != want {
			t.Fatalf("succ(%d) = %d, want %d", v, got, want)
		}
	}
	for i := range 9000 {
		v := rng.Uint64N(1<<20) + 1
		if _, found := slices.BinarySearch(ref, v); found {
			continue
		}
		x.insert(hpair{id: v, idx: uint64(i)})
		ref = append(ref, v)
		slices.Sort(ref)
		if i%97 == 0 {
			for range 20 {
				check(rng.Uint64N(1<<20) + 1)
			}
			check(0)
			check(ref[0])
			check(ref[len(ref)-1])
		}
	}
	flat := x.flatten()
	if len(flat) != len(ref) || len(x.chunks) < 5 {
		t.Fatalf("%d pairs in %d chunks", len(flat), len(x.chunks))
	}
	for i := range flat {
		if flat[i].id != ref[i] {
			t.Fatalf("pair %d is %d, want %d", i, flat[i].id, ref[i])
		}
	}
	// sortPairs, both paths (a short list and the bucket sort), including
	// ids crowded into one bucket.
	for _, n := range []int{10, 5000, 20000} {
		ids := randomIDs(uint64(n), n)
		for i := range ids[:n/2] {
			ids[i] = ids[i]>>20 | 1
		}
		got := sortPairs(ids, 1)
		if !slices.IsSortedFunc(got, func(a, b hpair) int { return cmpU64(a.id, b.id) }) || len(got) != n {
			t.Fatalf("n=%d: not sorted", n)
		}
		for _, p := range got {
			if ids[p.idx-1] != p.id {
				t.Fatalf("n=%d: pair %v has the wrong leaf index", n, p)
			}
		}
	}
}

// TestHolderViewBulkLarge: the bucket sort path (over 2^14 ids in one
// Append) and a second bulk Append merged into the first.
func TestHolderViewBulkLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a tree of 30,000 ids")
	}
	ids := randomIDs(61, 30000)
	tr := revocationTree(t, 16, ids)
	v, err := NewHolderView(16, 8)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Append(ids[:20000]...); err != nil {
		t.Fatal(err)
	}
	if err := v.Append(ids[20000:]...); err != nil {
		t.Fatal(err)
	}
	if err := v.Append(ids[5]); !errors.Is(err, ErrPresent) {
		t.Fatalf("repeat: %v", err)
	}
	syncView(t, v, tr)
	checkWitnesses(t, v, tr, probeIDs(rand.New(rand.NewPCG(62, 63)), ids))
}

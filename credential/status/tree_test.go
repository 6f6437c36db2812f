package status

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/zkhash"
)

func u(v uint64) fr.Element {
	var e fr.Element
	e.SetUint64(v)
	return e
}

// referenceRoot recomputes the root of an indexed tree from scratch, from
// the leaf values in leaf order (sentinel included), the way the contract
// defines it: next = the smallest larger value or max, empty leaves 0,
// parent = Compress(left, right), over the full 2^depth leaves.
func referenceRoot(t *testing.T, depth int, max fr.Element, values []fr.Element) fr.Element {
	t.Helper()
	if depth > 12 {
		t.Fatal("reference tree too deep")
	}
	sorted := slices.Clone(values)
	slices.SortFunc(sorted, func(a, b fr.Element) int { return a.Cmp(&b) })
	level := make([]fr.Element, 1<<depth)
	for i, v := range values {
		next := max
		for _, s := range sorted {
			if s.Cmp(&v) > 0 {
				next = s
				break
			}
		}
		level[i] = zkhash.IndexedLeaf(v, next)
	}
	for len(level) > 1 {
		up := make([]fr.Element, len(level)/2)
		for j := range up {
			up[j] = zkhash.Compress(level[2*j], level[2*j+1])
		}
		level = up
	}
	return level[0]
}

func TestTreeMatchesReference(t *testing.T) {
	const depth = 5
	rng := rand.New(rand.NewPCG(1, 2))
	tr, err := NewTree(depth, revocationMax)
	if err != nil {
		t.Fatal(err)
	}
	values := []fr.Element{{}}
	if got, want := tr.Root(), referenceRoot(t, depth, revocationMax, values); !got.Equal(&want) {
		t.Fatal("empty tree root differs from reference")
	}
	seen := map[fr.Element]bool{}
	for tr.Len() < (1<<depth)-1 {
		v := u(1 + rng.Uint64N(1000))
		if seen[v] {
			if err := tr.Insert(v); !errors.Is(err, ErrPresent) {
				t.Fatalf("duplicate insert: got %v, want ErrPresent", err)
			}
			continue
		}
		seen[v] = true
		before := tr.Root()
		if err := tr.Insert(v); err != nil {
			t.Fatal(err)
		}
		values = append(values, v)
		got := tr.Root()
		if got.Equal(&before) {
			t.Fatal("root unchanged by insert")
		}
		if want := referenceRoot(t, depth, revocationMax, values); !got.Equal(&want) {
			t.Fatalf("root after %d inserts differs from reference", tr.Len())
		}
	}
	if err := tr.Insert(u(5000)); !errors.Is(err, ErrTreeFull) {
		t.Fatalf("insert into full tree: got %v, want ErrTreeFull", err)
	}
	// Bulk build gives the same tree.
	bt, err := buildTree(depth, revocationMax, false, values[1:])
	if err != nil {
		t.Fatal(err)
	}
	if a, b := bt.Root(), tr.Root(); !a.Equal(&b) {
		t.Fatal("bulk-built root differs from incremental root")
	}
}

func TestWitnesses(t *testing.T) {
	const depth = 10
	rng := rand.New(rand.NewPCG(3, 4))
	tr, err := NewTree(depth, revocationMax)
	if err != nil {
		t.Fatal(err)
	}
	members := map[uint64]bool{}
	for range 300 {
		v := 1 + rng.Uint64N(1<<20)
		if members[v] {
			continue
		}
		members[v] = true
		if err := tr.Insert(u(v)); err != nil {
			t.Fatal(err)
		}
	}
	root := tr.Root()
	// Non-members, including values at both ends of the range.
	probes := []uint64{1, 2, ^uint64(0) - 1, 1<<20 + 1}
	for range 200 {
		probes = append(probes, 1+rng.Uint64N(1<<20))
	}
	for _, v := range probes {
		if members[v] {
			continue
		}
		w, err := tr.NonMembership(u(v))
		if err != nil {
			t.Fatalf("non-member %d: %v", v, err)
		}
		if err := w.VerifyNonMembership(root, depth, u(v)); err != nil {
			t.Fatalf("non-member %d: %v", v, err)
		}
		if _, err := tr.Membership(u(v)); !errors.Is(err, ErrAbsent) {
			t.Fatalf("membership of non-member %d: got %v, want ErrAbsent", v, err)
		}
	}
	for v := range members {
		if _, err := tr.NonMembership(u(v)); !errors.Is(err, ErrPresent) {
			t.Fatalf("non-membership of member %d: got %v, want ErrPresent", v, err)
		}
		w, err := tr.Membership(u(v))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.VerifyMembership(root, depth, u(v)); err != nil {
			t.Fatal(err)
		}
		// A member's own leaf is not a non-membership witness for it.
		if err := w.VerifyNonMembership(root, depth, u(v)); !errors.Is(err, ErrInvalidWitness) {
			t.Fatalf("member leaf accepted as non-membership: %v", err)
		}
	}
}

func TestWitnessTampering(t *testing.T) {
	const depth = 8
	tr, _ := NewTree(depth, revocationMax)
	for _, v := range []uint64{10, 20, 30, 40} {
		if err := tr.Insert(u(v)); err != nil {
			t.Fatal(err)
		}
	}
	root := tr.Root()
	good, err := tr.NonMembership(u(25))
	if err != nil {
		t.Fatal(err)
	}
	clone := func() *Witness {
		w := *good
		w.Siblings = slices.Clone(good.Siblings)
		return &w
	}
	tests := []struct {
		name string
		mut  func(w *Witness)
		v    uint64
	}{
		{"widened interval next", func(w *Witness) { w.LowNext = u(50) }, 35},
		{"lowered low value", func(w *Witness) { w.LowValue = u(15) }, 18},
		{"flipped index bit", func(w *Witness) { w.Index ^= 1 }, 25},
		{"index beyond depth", func(w *Witness) { w.Index |= 1 << depth }, 25},
		{"changed sibling", func(w *Witness) { w.Siblings[3] = u(7) }, 25},
		{"short path", func(w *Witness) { w.Siblings = w.Siblings[:depth-1] }, 25},
		{"value equal to low", func(w *Witness) {}, 20},
		{"value equal to next", func(w *Witness) {}, 30},
		{"value outside interval", func(w *Witness) {}, 35},
	}
	if err := good.VerifyNonMembership(root, depth, u(25)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := clone()
			tc.mut(w)
			if err := w.VerifyNonMembership(root, depth, u(tc.v)); !errors.Is(err, ErrInvalidWitness) {
				t.Fatalf("got %v, want ErrInvalidWitness", err)
			}
		})
	}
}

func TestTreeRejects(t *testing.T) {
	// Bad depths.
	for _, d := range []int{-1, 0, 65} {
		if _, err := NewTree(d, revocationMax); !errors.Is(err, ErrInvalidDepth) {
			t.Errorf("depth %d: got %v", d, err)
		}
	}
	// A max that leaves no room.
	if _, err := NewTree(4, u(1)); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("max 1: got %v", err)
	}
	tr, _ := NewTree(4, revocationMax)
	var bigger fr.Element // 2^64
	bigger.SetOne()
	bigger.Add(&bigger, &revocationMax)
	// Values outside (0, max): the sentinel value, max itself, above max.
	for name, v := range map[string]fr.Element{"zero": {}, "max": revocationMax, "above max": bigger} {
		if err := tr.Insert(v); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("insert %s: got %v", name, err)
		}
		if _, err := tr.NonMembership(v); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("non-membership %s: got %v", name, err)
		}
		if _, err := tr.Membership(v); !errors.Is(err, ErrAbsent) {
			t.Errorf("membership %s: got %v", name, err)
		}
	}
	if tr.Len() != 0 {
		t.Fatal("rejected inserts changed the tree")
	}
	// Bulk build rejects repeats and out-of-range values.
	if _, err := buildTree(4, revocationMax, false, []fr.Element{u(3), u(3)}); !errors.Is(err, ErrPresent) {
		t.Errorf("bulk repeat: got %v", err)
	}
	if _, err := buildTree(4, revocationMax, false, []fr.Element{u(3), {}}); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("bulk zero: got %v", err)
	}
	if _, err := buildTree(2, revocationMax, false, []fr.Element{u(1), u(2), u(3), u(4)}); !errors.Is(err, ErrTreeFull) {
		t.Errorf("bulk overflow: got %v", err)
	}
}

func TestSetTree(t *testing.T) {
	const depth = 6
	members := []fr.Element{{}, u(7), zkhash.String("FR"), zkhash.String("DE")}
	tr, err := NewSetTree(depth, members)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != len(members) {
		t.Fatalf("len %d", tr.Len())
	}
	// Same as inserting the members one by one.
	inc, _ := newTree(depth, fieldMax, true)
	for _, m := range members {
		if err := inc.Insert(m); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := tr.Root(), inc.Root(); !a.Equal(&b) {
		t.Fatal("set tree bulk and incremental roots differ")
	}
	root := tr.Root()
	for _, m := range members {
		w, err := tr.Membership(m)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := SetValue(m)
		if err := w.VerifyMembership(root, depth, s); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.NonMembership(m); !errors.Is(err, ErrPresent) {
			t.Fatalf("got %v, want ErrPresent", err)
		}
	}
	for _, x := range []fr.Element{u(1), u(6), zkhash.String("IT")} {
		w, err := tr.NonMembership(x)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := SetValue(x)
		if err := w.VerifyNonMembership(root, depth, s); err != nil {
			t.Fatal(err)
		}
	}
	// r-2 and r-1 have no stored form below max.
	var rMinus2 fr.Element
	rMinus2.SetUint64(2)
	rMinus2.Neg(&rMinus2)
	for _, m := range []fr.Element{rMinus2, fieldMax} {
		if _, err := NewSetTree(depth, []fr.Element{m}); !errors.Is(err, ErrOutOfRange) {
			t.Fatalf("got %v, want ErrOutOfRange", err)
		}
		if _, err := tr.NonMembership(m); !errors.Is(err, ErrOutOfRange) {
			t.Fatalf("got %v, want ErrOutOfRange", err)
		}
	}
	if _, err := NewSetTree(depth, []fr.Element{u(1), u(1)}); !errors.Is(err, ErrPresent) {
		t.Fatalf("repeated member: got %v", err)
	}
}

func TestSortedIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	s := newSortedIndex([]entry{{}})
	var ref []uint64
	ref = append(ref, 0)
	for i := range 5000 {
		v := 1 + rng.Uint64N(1<<40)
		k := key{v}
		if s.floor(k).k == k {
			continue
		}
		s.insert(entry{k: k, idx: uint64(i)})
		j, _ := slices.BinarySearch(ref, v)
		ref = slices.Insert(ref, j, v)
	}
	for range 5000 {
		q := rng.Uint64N(1 << 40)
		j, found := slices.BinarySearch(ref, q)
		want := q
		if !found {
			want = ref[j-1]
		}
		if got := s.floor(key{q}).k; got != (key{want}) {
			t.Fatalf("floor(%d) = %v, want %d", q, got, want)
		}
	}
	for _, c := range s.chunks {
		if len(c) == 0 || len(c) > chunkMax {
			t.Fatalf("chunk of %d entries", len(c))
		}
	}
}

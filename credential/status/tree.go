package status

import (
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/zkhash"
)

// MaxDepth is the largest supported tree depth: leaf indexes are uint64.
const MaxDepth = 64

// DefaultDepth is the default depth of a revocation tree: 2^24 leaves, so
// 16,777,215 revocations (one leaf is the sentinel), above 10 million.
const DefaultDepth = 24

// RevocationMax returns the max of a revocation tree, 2^64-1: revocation
// ids are uint64 values in [1, 2^64-2].
func RevocationMax() fr.Element { return revocationMax }

// FieldMax returns the max of a set tree, r-1, the largest BN254 scalar
// field element.
func FieldMax() fr.Element { return fieldMax }

// revocationMax and fieldMax are unexported so that no caller can move the
// bounds every tree, snapshot and witness check relies on.
var (
	revocationMax = func() fr.Element {
		var e fr.Element
		e.SetUint64(^uint64(0))
		return e
	}()
	fieldMax = func() fr.Element {
		var e fr.Element
		e.SetOne()
		e.Neg(&e)
		return e
	}()
)

// Tree is an in-memory indexed Merkle tree of depth d over the BN254 scalar
// field, hashed with [zkhash.IndexedLeaf] and [zkhash.Compress].
//
// Every leaf is a pair (value, next), where next is the smallest larger value
// in the tree, or max for the largest. Leaf 0 is the sentinel (0, …) present
// from creation; values are appended at the next free leaf index in insertion
// order, so the root depends on that order. Empty leaves hash to 0 and an
// empty subtree of height i+1 to Compress(Z_i, Z_i). A non-membership witness
// for v is the path of the "low" leaf (lo, hi) with lo < v < hi; a membership
// witness for v is the path of the leaf whose value is v.
//
// Values are compared as integers in [0, r). A tree made by [NewTree] holds
// values in the open interval (0, max). A set tree ([NewSetTree]) stores each
// member m as m+1 so that member 0 is not the sentinel: its Insert,
// NonMembership and Membership take members and add 1 themselves, and the
// witnesses they return are over stored values (see [SetValue]).
//
// Insert, NonMembership and Membership cost O(depth) hashes plus an
// O(log n) search. A Tree is not safe for concurrent use; the issuer's
// [github.com/zkcred/zkcred/credential/status/registry.Registry] adds the
// locking.
type Tree struct {
	depth  int
	max    fr.Element
	maxKey key
	set    bool // set tree: stored value = member + 1

	values []fr.Element   // leaf values by leaf index; values[0] = 0 is the sentinel
	nexts  []fr.Element   // leaf next pointers by leaf index
	nodes  [][]fr.Element // nodes[l][j]: hash of node j at level l (0 = leaves); only the populated prefix
	zeros  []fr.Element   // zeros[l]: hash of an empty subtree at level l
	index  sortedIndex    // values sorted, with their leaf index
}

// Witness is a Merkle path to one leaf (LowValue, LowNext) of a [Tree]: for
// non-membership of v the low leaf (LowValue < v < LowNext), for membership
// of v the leaf whose LowValue is v. Siblings are bottom-up, len = depth; bit
// i of Index is 1 when the node at level i on the path is a right child.
type Witness struct {
	LowValue fr.Element
	LowNext  fr.Element
	Index    uint64
	Siblings []fr.Element
}

// Root recomputes the root the witness leads to.
func (w *Witness) Root() fr.Element {
	cur := zkhash.IndexedLeaf(w.LowValue, w.LowNext)
	for i := range w.Siblings {
		if i < 64 && (w.Index>>uint(i))&1 == 1 {
			cur = zkhash.Compress(w.Siblings[i], cur)
		} else {
			cur = zkhash.Compress(cur, w.Siblings[i])
		}
	}
	return cur
}

// VerifyNonMembership checks that w proves the stored value v is not in the
// tree with the given root and depth: LowValue < v < LowNext and the path
// leads to root. For a set tree pass [SetValue] of the member. It returns an
// error wrapping [ErrInvalidWitness] otherwise.
func (w *Witness) VerifyNonMembership(root fr.Element, depth int, v fr.Element) error {
	if err := w.checkShape(depth); err != nil {
		return err
	}
	if w.LowValue.Cmp(&v) >= 0 || v.Cmp(&w.LowNext) >= 0 {
		return fmt.Errorf("%w: value not strictly between low leaf value and next", ErrInvalidWitness)
	}
	if r := w.Root(); !r.Equal(&root) {
		return fmt.Errorf("%w: path does not lead to the root", ErrInvalidWitness)
	}
	return nil
}

// VerifyMembership checks that w proves the stored value v is a leaf value
// of the tree with the given root and depth. It returns an error wrapping
// [ErrInvalidWitness] otherwise.
func (w *Witness) VerifyMembership(root fr.Element, depth int, v fr.Element) error {
	if err := w.checkShape(depth); err != nil {
		return err
	}
	if !w.LowValue.Equal(&v) {
		return fmt.Errorf("%w: leaf value differs", ErrInvalidWitness)
	}
	if r := w.Root(); !r.Equal(&root) {
		return fmt.Errorf("%w: path does not lead to the root", ErrInvalidWitness)
	}
	return nil
}

func (w *Witness) checkShape(depth int) error {
	if depth < 1 || depth > MaxDepth || len(w.Siblings) != depth {
		return fmt.Errorf("%w: path length %d, want depth %d", ErrInvalidWitness, len(w.Siblings), depth)
	}
	if depth < 64 && w.Index>>uint(depth) != 0 {
		return fmt.Errorf("%w: leaf index %d beyond depth %d", ErrInvalidWitness, w.Index, depth)
	}
	return nil
}

// NewTree returns a tree of the given depth (1 to [MaxDepth]) holding only
// the sentinel leaf (0, max). max must be at least 2. Use [RevocationMax]
// for a revocation tree.
func NewTree(depth int, max fr.Element) (*Tree, error) {
	return newTree(depth, max, false)
}

func newTree(depth int, max fr.Element, set bool) (*Tree, error) {
	if depth < 1 || depth > MaxDepth {
		return nil, fmt.Errorf("%w: %d not in [1, %d]", ErrInvalidDepth, depth, MaxDepth)
	}
	mk := keyOf(&max)
	if mk.cmp(key{2}) < 0 {
		return nil, fmt.Errorf("%w: max below 2", ErrOutOfRange)
	}
	t := &Tree{
		depth:  depth,
		max:    max,
		maxKey: mk,
		set:    set,
		values: []fr.Element{{}},
		nexts:  []fr.Element{max},
		nodes:  make([][]fr.Element, depth+1),
		zeros:  emptyHashes()[:depth+1],
	}
	t.index.chunks = [][]entry{{{k: key{}, idx: 0}}}
	t.setNode(0, 0, zkhash.IndexedLeaf(fr.Element{}, max))
	t.rehashPaths(0, 0)
	return t, nil
}

// NewSetTree returns a set tree of the given depth with max = [FieldMax]
// holding members, each stored as m+1 (see [SetValue]). Members are
// inserted in the given order; a repeated member is an error wrapping
// [ErrPresent].
func NewSetTree(depth int, members []fr.Element) (*Tree, error) {
	stored := make([]fr.Element, len(members))
	for i := range members {
		s, err := SetValue(members[i])
		if err != nil {
			return nil, err
		}
		stored[i] = s
	}
	return buildTree(depth, fieldMax, true, stored)
}

// SetValue returns m+1, the value a set tree stores for member m. Members
// must be at most r-3 (so that m+1 < r-1 = max); larger ones are an error
// wrapping [ErrOutOfRange].
func SetValue(m fr.Element) (fr.Element, error) {
	var s fr.Element
	s.SetOne()
	s.Add(&s, &m)
	if k := keyOf(&s); k.isZero() || k.cmp(keyOf(&fieldMax)) >= 0 {
		return fr.Element{}, fmt.Errorf("%w: set member above r-3", ErrOutOfRange)
	}
	return s, nil
}

// Depth returns the depth of the tree.
func (t *Tree) Depth() int { return t.depth }

// Max returns the tree's max (the sentinel's initial next).
func (t *Tree) Max() fr.Element { return t.max }

// Len returns the number of values inserted, not counting the sentinel.
func (t *Tree) Len() int { return len(t.values) - 1 }

// Root returns the root of the tree.
func (t *Tree) Root() fr.Element { return t.nodes[t.depth][0] }

// Insert adds v. It returns an error wrapping [ErrOutOfRange] if v is not in
// (0, max) (for a set tree: not a valid member, see [SetValue]),
// [ErrPresent] if v is already in the tree and [ErrTreeFull] if all leaves
// are used; the tree is then unchanged.
func (t *Tree) Insert(v fr.Element) error {
	s, err := t.stored(v)
	if err != nil {
		return err
	}
	n := uint64(len(t.values))
	if t.depth < 64 && n >= uint64(1)<<uint(t.depth) {
		return fmt.Errorf("%w: %d leaves at depth %d", ErrTreeFull, n, t.depth)
	}
	k := keyOf(&s)
	low := t.index.floor(k)
	if low.k == k {
		return fmt.Errorf("%w: insert", ErrPresent)
	}
	li := low.idx
	oldNext := t.nexts[li]
	t.nexts[li] = s
	t.values = append(t.values, s)
	t.nexts = append(t.nexts, oldNext)
	t.setNode(0, li, zkhash.IndexedLeaf(t.values[li], s))
	t.setNode(0, n, zkhash.IndexedLeaf(s, oldNext))
	t.rehashPaths(li, n)
	t.index.insert(entry{k: k, idx: n})
	return nil
}

// Contains reports whether v is in the tree.
func (t *Tree) Contains(v fr.Element) bool {
	s, err := t.stored(v)
	if err != nil {
		return false
	}
	k := keyOf(&s)
	return t.index.floor(k).k == k
}

// NonMembership returns the witness that v is not in the tree: the path of
// the low leaf (lo, hi) with lo < v < hi. It returns an error wrapping
// [ErrPresent] if v is in the tree and [ErrOutOfRange] if v is not in
// (0, max), where no such leaf exists.
func (t *Tree) NonMembership(v fr.Element) (*Witness, error) {
	s, err := t.stored(v)
	if err != nil {
		return nil, err
	}
	k := keyOf(&s)
	low := t.index.floor(k)
	if low.k == k {
		return nil, fmt.Errorf("%w: no non-membership witness for a member", ErrPresent)
	}
	return t.witness(low.idx), nil
}

// Membership returns the witness that v is in the tree: the path of the leaf
// whose value is v. It returns an error wrapping [ErrAbsent] otherwise.
func (t *Tree) Membership(v fr.Element) (*Witness, error) {
	s, err := t.stored(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAbsent, err)
	}
	k := keyOf(&s)
	low := t.index.floor(k)
	if low.k != k {
		return nil, fmt.Errorf("%w: membership", ErrAbsent)
	}
	return t.witness(low.idx), nil
}

// stored maps a caller's value to the stored value and checks it is in
// (0, max).
func (t *Tree) stored(v fr.Element) (fr.Element, error) {
	if t.set {
		return SetValue(v)
	}
	if k := keyOf(&v); k.isZero() || k.cmp(t.maxKey) >= 0 {
		return fr.Element{}, fmt.Errorf("%w: value not in (0, max)", ErrOutOfRange)
	}
	return v, nil
}

func (t *Tree) witness(idx uint64) *Witness {
	w := &Witness{
		LowValue: t.values[idx],
		LowNext:  t.nexts[idx],
		Index:    idx,
		Siblings: make([]fr.Element, t.depth),
	}
	j := idx
	for l := 0; l < t.depth; l++ {
		w.Siblings[l] = t.node(l, j^1)
		j >>= 1
	}
	return w
}

func (t *Tree) node(level int, j uint64) fr.Element {
	if j < uint64(len(t.nodes[level])) {
		return t.nodes[level][j]
	}
	return t.zeros[level]
}

// rehashPaths recomputes the paths from leaves a and b to the root; once
// they meet, each level is hashed once.
func (t *Tree) rehashPaths(a, b uint64) {
	for l := 0; l < t.depth; l++ {
		a, b = a>>1, b>>1
		t.setNode(l+1, a, zkhash.Compress(t.node(l, 2*a), t.node(l, 2*a+1)))
		if b != a {
			t.setNode(l+1, b, zkhash.Compress(t.node(l, 2*b), t.node(l, 2*b+1)))
		}
	}
}

func (t *Tree) setNode(level int, j uint64, h fr.Element) {
	if j == uint64(len(t.nodes[level])) {
		t.nodes[level] = append(t.nodes[level], h)
		return
	}
	t.nodes[level][j] = h
}

// emptyHashes returns Z_0..Z_MaxDepth: Z_0 = 0, Z_{i+1} = Compress(Z_i, Z_i).
var emptyHashes = sync.OnceValue(func() []fr.Element {
	z := make([]fr.Element, MaxDepth+1)
	for i := 1; i <= MaxDepth; i++ {
		z[i] = zkhash.Compress(z[i-1], z[i-1])
	}
	return z
})

// buildTree builds a tree from stored values in leaf order (without the
// sentinel) in O(n log n), hashing in parallel. It is equivalent to
// inserting the values one by one.
func buildTree(depth int, max fr.Element, set bool, stored []fr.Element) (*Tree, error) {
	t, err := newTree(depth, max, set)
	if err != nil {
		return nil, err
	}
	n := uint64(len(stored)) + 1
	if depth < 64 && n > uint64(1)<<uint(depth) {
		return nil, fmt.Errorf("%w: %d values at depth %d", ErrTreeFull, len(stored), depth)
	}
	if len(stored) == 0 {
		return t, nil
	}
	sorted := make([]entry, 0, n)
	sorted = append(sorted, entry{k: key{}, idx: 0})
	for i := range stored {
		k := keyOf(&stored[i])
		if k.isZero() || k.cmp(t.maxKey) >= 0 {
			return nil, fmt.Errorf("%w: value %d not in (0, max)", ErrOutOfRange, i)
		}
		sorted = append(sorted, entry{k: k, idx: uint64(i) + 1})
	}
	slices.SortFunc(sorted, func(a, b entry) int { return a.k.cmp(b.k) })
	t.values = make([]fr.Element, n)
	t.nexts = make([]fr.Element, n)
	copy(t.values[1:], stored)
	for p := range sorted {
		if p+1 < len(sorted) {
			if sorted[p].k == sorted[p+1].k {
				return nil, fmt.Errorf("%w: repeated value", ErrPresent)
			}
			t.nexts[sorted[p].idx] = t.values[sorted[p+1].idx]
		} else {
			t.nexts[sorted[p].idx] = max
		}
	}
	// Leaves, then each level, hashed in parallel.
	leaves := make([]fr.Element, n)
	parallel(int(n), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			leaves[i] = zkhash.IndexedLeaf(t.values[i], t.nexts[i])
		}
	})
	t.nodes[0] = leaves
	for l := 0; l < depth; l++ {
		below := t.nodes[l]
		up := make([]fr.Element, (len(below)+1)/2)
		z := t.zeros[l]
		parallel(len(up), func(lo, hi int) {
			for j := lo; j < hi; j++ {
				right := z
				if 2*j+1 < len(below) {
					right = below[2*j+1]
				}
				up[j] = zkhash.Compress(below[2*j], right)
			}
		})
		t.nodes[l+1] = up
	}
	t.index = newSortedIndex(sorted)
	return t, nil
}

// parallel runs f over [0, n) split across GOMAXPROCS goroutines when n is
// large enough to pay for them.
func parallel(n int, f func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 1024 || workers == 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// key is a field element in regular (non-Montgomery) form, little-endian
// limbs, for ordering.
type key [4]uint64

func keyOf(e *fr.Element) key { return key(e.Bits()) }

func (a key) cmp(b key) int {
	for i := 3; i >= 0; i-- {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func (a key) isZero() bool { return a == key{} }

// sortedIndex is an ordered set of keys with their leaf index, kept as
// sorted chunks of at most chunkMax entries: insertion moves O(chunkMax)
// entries and O(n/chunkMax) chunk headers, search is two binary searches.
type sortedIndex struct {
	chunks [][]entry
}

type entry struct {
	k   key
	idx uint64
}

const chunkMax = 512

func newSortedIndex(sorted []entry) sortedIndex {
	var s sortedIndex
	for lo := 0; lo < len(sorted); lo += chunkMax / 2 {
		hi := min(lo+chunkMax/2, len(sorted))
		c := make([]entry, hi-lo, chunkMax)
		copy(c, sorted[lo:hi])
		s.chunks = append(s.chunks, c)
	}
	return s
}

// floor returns the entry with the largest key at most k. The sentinel key 0
// is always present, so it exists.
func (s *sortedIndex) floor(k key) entry {
	ci := s.chunkFor(k)
	c := s.chunks[ci]
	i, found := slices.BinarySearchFunc(c, k, func(e entry, k key) int { return e.k.cmp(k) })
	if found {
		return c[i]
	}
	return c[i-1]
}

// chunkFor returns the last chunk whose first key is at most k.
func (s *sortedIndex) chunkFor(k key) int {
	i, found := slices.BinarySearchFunc(s.chunks, k, func(c []entry, k key) int { return c[0].k.cmp(k) })
	if found {
		return i
	}
	return i - 1
}

// insert adds e, whose key is absent and above the sentinel's.
func (s *sortedIndex) insert(e entry) {
	ci := s.chunkFor(e.k)
	c := s.chunks[ci]
	i, _ := slices.BinarySearchFunc(c, e.k, func(x entry, k key) int { return x.k.cmp(k) })
	c = slices.Insert(c, i, e)
	if len(c) <= chunkMax {
		s.chunks[ci] = c
		return
	}
	half := len(c) / 2
	right := make([]entry, len(c)-half, chunkMax)
	copy(right, c[half:])
	s.chunks[ci] = c[:half]
	s.chunks = slices.Insert(s.chunks, ci+1, right)
}

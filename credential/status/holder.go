package status

import (
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/zkhash"
)

// HolderView is a holder's view of a revocation tree, from which it
// computes its non-revocation witnesses without rebuilding the tree: every
// revoked id in leaf order (from the registry's log), the published roots
// of the tree's subtrees at one level (in chunks, see [Tree.SubtreeChunk]),
// and the nodes of the subtrees its own witnesses run through, which it
// hashes itself from the ids. The package doc ("Holder sync from subtree
// roots") gives the argument for why a witness it returns is sound and what
// it costs.
//
// Use:
//
//	v, _ := NewHolderView(DefaultDepth, DefaultSubtreeLevel)
//	v.Append(ids...)                  // new revoked ids, in log order
//	for _, j := range v.StaleChunks() // fetch chunk j for v.Len() ids
//		v.ApplySubtreeChunk(chunk)
//	w, err := v.NonRevocationWitness(myID, root) // root from a verified checkpoint
//
// Later syncs repeat these steps with only the new ids; the view then
// re-hashes only the leaves of its own subtrees that changed and asks only
// for the chunks whose subtrees changed. Which chunks it asks for depends
// on the public ids alone, never on the holder's id.
//
// A view keeps 16 bytes per revoked id (160 MB at 10^7), 32 bytes per
// published root, and the nodes of at most 8 subtrees it hashed (256 KiB
// each at level 12). It is not persisted: a wallet keeps the ids and
// appends them to a new view when it restarts. A HolderView is not safe
// for concurrent use.
type HolderView struct {
	depth, level int
	n            uint64 // revoked ids held; leaves = n+1
	index        holderIndex

	roots  []fr.Element // published root of each populated subtree
	stale  []bool       // stale[s]: roots[s] not published for the current ids
	nStale int
	top    [][]fr.Element // top[i]: nodes at level level+i (populated prefix); nil until first hashed
	dirty  []uint64       // subtrees whose root changed since top was hashed

	subtrees map[uint64]*holderSubtree // subtrees hashed from the ids, by subtree index
}

// maxHeldSubtrees bounds the subtrees a view keeps hashed: one per
// credential of the issuer the wallet holds, a few in practice.
const maxHeldSubtrees = 8

// holderSubtree is a subtree the holder hashed itself: nodes[l] holds its
// 2^(level-l) nodes at level l, nodes[level][0] its root.
type holderSubtree struct {
	nodes [][]fr.Element
}

// NewHolderView returns an empty view (the sentinel leaf only) of a
// revocation tree of the given depth whose registry publishes subtree
// roots at level (1 to min(depth, [MaxSubtreeLevel]);
// [DefaultSubtreeLevel] for a [DefaultDepth] registry). It returns an error
// wrapping [ErrInvalidDepth] or [ErrInvalidSubtrees] for values out of
// range.
func NewHolderView(depth, level int) (*HolderView, error) {
	if err := checkSubtreeShape(depth, level, 0); err != nil {
		return nil, err
	}
	return &HolderView{
		depth:    depth,
		level:    level,
		roots:    make([]fr.Element, 1),
		stale:    []bool{true},
		nStale:   1,
		subtrees: make(map[uint64]*holderSubtree),
	}, nil
}

// Len returns the number of revoked ids the view holds: the log index the
// next [HolderView.Append] continues from.
func (v *HolderView) Len() uint64 { return v.n }

// Append adds revoked ids in the order the registry revoked them (its log
// order, which is the tree's leaf order), continuing from [HolderView.Len].
// It returns an error wrapping [ErrOutOfRange] for an id outside
// [1, 2^64-2], [ErrPresent] for an id already held or repeated, and
// [ErrTreeFull] past the tree's capacity; the view is then unchanged.
//
// Append re-hashes the changed leaves of the subtrees the view keeps and
// marks stale the roots of the subtrees whose leaves changed: the new ids'
// leaves and the leaves whose next value they change. A large batch (more
// than an eighth of the ids held) instead marks every root stale and
// drops the kept subtrees.
func (v *HolderView) Append(ids ...uint64) error {
	if len(ids) == 0 {
		return nil
	}
	for i, id := range ids {
		if err := checkRevocationID(id); err != nil {
			return fmt.Errorf("id %d of the batch: %w", i, err)
		}
	}
	total := v.n + uint64(len(ids))
	if total < v.n || (v.depth < 64 && total >= uint64(1)<<uint(v.depth)) || total == ^uint64(0) {
		return fmt.Errorf("%w: %d ids at depth %d", ErrTreeFull, total, v.depth)
	}
	base := v.n + 1 // leaf index of ids[0]
	if v.n == 0 || uint64(len(ids)) > v.n/8 {
		return v.appendBulk(ids, base, total)
	}
	// Small batch: check, then insert one by one.
	batch := slices.Clone(ids)
	slices.Sort(batch)
	for i := range batch {
		if i > 0 && batch[i] == batch[i-1] {
			return fmt.Errorf("%w: id repeated in the batch", ErrPresent)
		}
		if p, ok := v.index.floor(batch[i]); ok && p.id == batch[i] {
			return fmt.Errorf("%w: id already revoked", ErrPresent)
		}
	}
	for i, id := range ids {
		v.index.insert(hpair{id: id, idx: base + uint64(i)})
	}
	v.n = total
	v.grow()
	// Changed leaves: each new leaf and the final predecessor of each new
	// id (whose next value changed), with their values.
	changed := make([]hpair, 0, 2*len(ids))
	for i, id := range ids {
		changed = append(changed, hpair{id: id, idx: base + uint64(i)})
		if p, ok := v.index.floor(id - 1); ok {
			changed = append(changed, p)
		} else {
			changed = append(changed, hpair{}) // the sentinel
		}
	}
	slices.SortFunc(changed, func(a, b hpair) int { return cmpU64(a.idx, b.idx) })
	changed = slices.CompactFunc(changed, func(a, b hpair) bool { return a.idx == b.idx })
	for _, c := range changed {
		v.markStale(c.idx >> uint(v.level))
	}
	v.rehashKept(changed)
	return nil
}

func (v *HolderView) appendBulk(ids []uint64, base, total uint64) error {
	pairs := sortPairs(ids, base)
	for i := 1; i < len(pairs); i++ {
		if pairs[i].id == pairs[i-1].id {
			return fmt.Errorf("%w: id repeated in the batch", ErrPresent)
		}
	}
	if v.n > 0 {
		merged, err := mergePairs(v.index.flatten(), pairs)
		if err != nil {
			return err
		}
		pairs = merged
	}
	v.index = newHolderIndex(pairs)
	v.n = total
	v.grow()
	for s := range v.stale {
		v.markStale(uint64(s))
	}
	clear(v.subtrees)
	return nil
}

// grow extends roots and stale to the populated subtrees of v.n ids.
func (v *HolderView) grow() {
	s := subtreeCount(v.n, v.level)
	for uint64(len(v.roots)) < s {
		v.dirty = append(v.dirty, uint64(len(v.roots)))
		v.roots = append(v.roots, fr.Element{})
		v.stale = append(v.stale, true)
		v.nStale++
	}
}

func (v *HolderView) markStale(s uint64) {
	if !v.stale[s] {
		v.stale[s] = true
		v.nStale++
	}
}

// StaleChunks returns, in increasing order, the indexes of the subtree
// chunks the view needs for its current ids ([HolderView.Len] of them)
// before it can compute a witness: those holding a root of a subtree
// whose leaves changed since its chunk was applied. Fetch each for
// Len() ids and pass it to [HolderView.ApplySubtreeChunk].
func (v *HolderView) StaleChunks() []uint64 {
	var out []uint64
	for s := 0; s < len(v.stale); s++ {
		if v.stale[s] {
			j := uint64(s) / SubtreeChunkRoots
			out = append(out, j)
			s = int(j+1)*SubtreeChunkRoots - 1
		}
	}
	return out
}

// ApplySubtreeChunk parses a version 1 subtree chunk (see [Tree.SubtreeChunk])
// and takes its roots. The chunk must be for the view's depth, level and
// current number of ids. It returns an error wrapping [ErrInvalidSubtrees]
// otherwise, or for a malformed, truncated or oversize chunk; the view is
// then unchanged. The roots are only checked when a witness is computed
// ([HolderView.NonRevocationWitness]).
func (v *HolderView) ApplySubtreeChunk(b []byte) error {
	c, err := parseSubtreeChunk(b)
	if err != nil {
		return err
	}
	if c.depth != v.depth || c.level != v.level {
		return fmt.Errorf("%w: chunk of a depth-%d tree at level %d, the view is depth %d at level %d", ErrInvalidSubtrees, c.depth, c.level, v.depth, v.level)
	}
	if c.count != v.n {
		return fmt.Errorf("%w: chunk for a tree of %d ids, the view holds %d: fetch the chunk for %d", ErrInvalidSubtrees, c.count, v.n, v.n)
	}
	first := c.index * SubtreeChunkRoots
	for i := range c.roots {
		s := first + uint64(i)
		if !v.roots[s].Equal(&c.roots[i]) {
			v.roots[s] = c.roots[i]
			v.dirty = append(v.dirty, s)
		}
		if v.stale[s] {
			v.stale[s] = false
			v.nStale--
		}
	}
	return nil
}

// NonRevocationWitness returns the witness that revocation id is not in the
// tree whose root is root (take it from a verified checkpoint or signed
// root, never from the chunks): the same witness [Tree.NonMembership]
// gives on the registry's tree. It hashes the subtree of id's low leaf from
// the ids (once; later calls update it) and the levels above from the
// published roots, and returns the witness only if that subtree's root
// equals its published root and the published roots lead to root.
//
// It returns an error wrapping [ErrRevoked] if id is revoked,
// [ErrOutOfRange] if id is not in [1, 2^64-2], [ErrSubtreesStale] while
// [HolderView.StaleChunks] is not empty, and [ErrSubtreeMismatch] if the
// roots or the ids do not match root; after a mismatch every chunk is
// stale again (fetch them from elsewhere, or the registry is misbehaving).
func (v *HolderView) NonRevocationWitness(id uint64, root fr.Element) (*Witness, error) {
	if err := checkRevocationID(id); err != nil {
		return nil, err
	}
	low, ok := v.index.floor(id)
	if ok && low.id == id {
		return nil, fmt.Errorf("%w: id %d has no non-membership witness", ErrRevoked, id)
	}
	if !ok {
		low = hpair{} // the sentinel (0, …) at leaf 0
	}
	if v.nStale > 0 {
		return nil, fmt.Errorf("%w: %d subtree roots missing for %d ids (fetch StaleChunks)", ErrSubtreesStale, v.nStale, v.n)
	}
	s := low.idx >> uint(v.level)
	st := v.subtree(s)
	if r := st.nodes[v.level][0]; !r.Equal(&v.roots[s]) {
		v.invalidate()
		return nil, fmt.Errorf("%w: the published root of the holder's subtree differs from the one hashed from the revoked ids", ErrSubtreeMismatch)
	}
	top := v.topNodes()
	if r := top[len(top)-1][0]; !r.Equal(&root) {
		v.invalidate()
		return nil, fmt.Errorf("%w: the published subtree roots do not lead to the expected root", ErrSubtreeMismatch)
	}
	w := &Witness{
		LowValue: u64(low.id),
		LowNext:  u64(v.index.succ(low.id)),
		Index:    low.idx,
		Siblings: make([]fr.Element, v.depth),
	}
	local := low.idx & (uint64(1)<<uint(v.level) - 1)
	for l := 0; l < v.level; l++ {
		w.Siblings[l] = st.nodes[l][(local>>uint(l))^1]
	}
	zeros := emptyHashes()
	for l := v.level; l < v.depth; l++ {
		j := (low.idx >> uint(l)) ^ 1
		if nodes := top[l-v.level]; j < uint64(len(nodes)) {
			w.Siblings[l] = nodes[j]
		} else {
			w.Siblings[l] = zeros[l]
		}
	}
	return w, nil
}

// invalidate marks every published root stale after a mismatch.
func (v *HolderView) invalidate() {
	for s := range v.stale {
		v.markStale(uint64(s))
	}
}

// topNodes returns the levels from the subtree roots to the root, hashing
// them from the published roots: all of them the first time, then the
// paths above the roots that changed.
func (v *HolderView) topNodes() [][]fr.Element {
	if v.top == nil {
		v.hashTop()
		return v.top
	}
	if len(v.dirty) == 0 {
		return v.top
	}
	slices.Sort(v.dirty)
	dirty := slices.Compact(v.dirty)
	if len(dirty) > len(v.roots)/2 {
		v.hashTop()
		return v.top
	}
	v.top[0] = v.roots
	zeros := emptyHashes()
	for i := 0; i < v.depth-v.level; i++ {
		below := v.top[i]
		for need := (len(below) + 1) / 2; len(v.top[i+1]) < need; {
			v.top[i+1] = append(v.top[i+1], fr.Element{})
		}
		up := v.top[i+1]
		for k := range dirty {
			dirty[k] >>= 1
		}
		dirty = slices.Compact(dirty)
		z := zeros[v.level+i]
		parallelHash(len(dirty), func(lo, hi int) {
			for _, j := range dirty[lo:hi] {
				right := z
				if 2*j+1 < uint64(len(below)) {
					right = below[2*j+1]
				}
				up[j] = zkhash.Compress(below[2*j], right)
			}
		})
	}
	v.dirty = v.dirty[:0]
	return v.top
}

// hashTop hashes the levels above the subtree roots from all of them.
func (v *HolderView) hashTop() {
	h := v.depth - v.level
	top := make([][]fr.Element, h+1)
	top[0] = v.roots
	zeros := emptyHashes()
	for i := 0; i < h; i++ {
		below := top[i]
		up := make([]fr.Element, (len(below)+1)/2)
		z := zeros[v.level+i]
		parallelHash(len(up), func(lo, hi int) {
			for j := lo; j < hi; j++ {
				right := z
				if 2*j+1 < len(below) {
					right = below[2*j+1]
				}
				up[j] = zkhash.Compress(below[2*j], right)
			}
		})
		top[i+1] = up
	}
	v.top = top
	v.dirty = v.dirty[:0]
}

// subtree returns subtree s, hashing it from the ids if it is not kept.
func (v *HolderView) subtree(s uint64) *holderSubtree {
	if st, ok := v.subtrees[s]; ok {
		return st
	}
	if len(v.subtrees) >= maxHeldSubtrees {
		for k := range v.subtrees {
			delete(v.subtrees, k)
			break
		}
	}
	width := uint64(1) << uint(v.level)
	first := s * width
	filled := min(width, v.n+1-first) // populated leaves of this subtree
	values := make([]uint64, filled)
	nexts := make([]uint64, filled)
	// One pass over the ids in sorted order: each id's next is the id
	// after it. The sentinel (leaf 0) has value 0 and next the smallest id.
	prev, havePrev := hpair{}, s == 0
	v.index.each(func(p hpair) {
		if havePrev {
			nexts[prev.idx-first] = p.id
		}
		prev = p
		havePrev = p.idx >= first && p.idx < first+filled
		if havePrev {
			values[p.idx-first] = p.id
		}
	})
	if havePrev {
		nexts[prev.idx-first] = ^uint64(0)
	}
	st := &holderSubtree{nodes: make([][]fr.Element, v.level+1)}
	leaves := make([]fr.Element, width)
	parallelHash(int(filled), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			leaves[i] = zkhash.IndexedLeaf(u64(values[i]), u64(nexts[i]))
		}
	})
	st.nodes[0] = leaves
	zeros := emptyHashes()
	for l := 0; l < v.level; l++ {
		below := st.nodes[l]
		up := make([]fr.Element, len(below)/2)
		// Nodes whose leaves are all empty are Z_{l+1}.
		live := int((filled + (uint64(1) << uint(l+1)) - 1) >> uint(l+1))
		parallelHash(len(up), func(lo, hi int) {
			for j := lo; j < hi; j++ {
				if j >= live {
					up[j] = zeros[l+1]
					continue
				}
				up[j] = zkhash.Compress(below[2*j], below[2*j+1])
			}
		})
		st.nodes[l+1] = up
	}
	v.subtrees[s] = st
	return st
}

// rehashKept re-hashes, in the kept subtrees, the leaves listed in changed
// (sorted by leaf index, values as held) and the paths above them.
func (v *HolderView) rehashKept(changed []hpair) {
	width := uint64(1) << uint(v.level)
	for s, st := range v.subtrees {
		lo, _ := slices.BinarySearchFunc(changed, s*width, func(p hpair, t uint64) int { return cmpU64(p.idx, t) })
		hi, _ := slices.BinarySearchFunc(changed, (s+1)*width, func(p hpair, t uint64) int { return cmpU64(p.idx, t) })
		if lo == hi {
			continue
		}
		mine := changed[lo:hi]
		dirty := make([]uint64, len(mine))
		parallelHash(len(mine), func(a, b int) {
			for i := a; i < b; i++ {
				p := mine[i]
				st.nodes[0][p.idx-s*width] = zkhash.IndexedLeaf(u64(p.id), u64(v.index.succ(p.id)))
				dirty[i] = p.idx - s*width
			}
		})
		for l := 0; l < v.level; l++ {
			for i := range dirty {
				dirty[i] >>= 1
			}
			dirty = slices.Compact(dirty)
			below, up := st.nodes[l], st.nodes[l+1]
			parallelHash(len(dirty), func(a, b int) {
				for i := a; i < b; i++ {
					j := dirty[i]
					up[j] = zkhash.Compress(below[2*j], below[2*j+1])
				}
			})
		}
	}
}

// parallelHash runs f over [0, n) on GOMAXPROCS goroutines from 64 items
// on: each item here is at least one Poseidon2 hash (about 5 µs), which
// pays for a goroutine many times over.
func parallelHash(n int, f func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 64 || workers == 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += step {
		wg.Go(func() { f(lo, min(lo+step, n)) })
	}
	wg.Wait()
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

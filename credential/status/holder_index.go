package status

import (
	"fmt"
	"math/bits"
	"slices"
)

// hpair is a revoked id with its leaf index.
type hpair struct {
	id, idx uint64
}

// holderIndex is the holder's ordered set of revoked ids with their leaf
// index, kept as sorted chunks of at most holderChunkMax pairs (16 bytes
// each): an insert moves at most 8 KiB, a search is two binary searches.
// The sentinel (0, leaf 0) is not stored.
type holderIndex struct {
	chunks [][]hpair
}

const (
	holderChunkFill = 256
	holderChunkMax  = 512
)

// newHolderIndex cuts sorted into chunks; they share its array, each
// capped at its length so that an insert copies only its own chunk.
func newHolderIndex(sorted []hpair) holderIndex {
	var x holderIndex
	x.chunks = make([][]hpair, 0, (len(sorted)+holderChunkFill-1)/holderChunkFill)
	for lo := 0; lo < len(sorted); lo += holderChunkFill {
		hi := min(lo+holderChunkFill, len(sorted))
		x.chunks = append(x.chunks, sorted[lo:hi:hi])
	}
	return x
}

// chunkFor returns the last chunk whose first id is at most v, or -1.
func (x *holderIndex) chunkFor(v uint64) int {
	i, found := slices.BinarySearchFunc(x.chunks, v, func(c []hpair, v uint64) int { return cmpU64(c[0].id, v) })
	if found {
		return i
	}
	return i - 1
}

// above returns the position of the first pair in c with id above v.
func above(c []hpair, v uint64) int {
	i, found := slices.BinarySearchFunc(c, v, func(p hpair, v uint64) int { return cmpU64(p.id, v) })
	if found {
		i++
	}
	return i
}

// floor returns the pair with the largest id at most v, if any.
func (x *holderIndex) floor(v uint64) (hpair, bool) {
	ci := x.chunkFor(v)
	if ci < 0 {
		return hpair{}, false
	}
	c := x.chunks[ci]
	return c[above(c, v)-1], true
}

// succ returns the smallest id above v, or 2^64-1 (the tree's max).
func (x *holderIndex) succ(v uint64) uint64 {
	ci := x.chunkFor(v)
	if ci < 0 {
		if len(x.chunks) > 0 {
			return x.chunks[0][0].id
		}
		return ^uint64(0)
	}
	c := x.chunks[ci]
	if i := above(c, v); i < len(c) {
		return c[i].id
	}
	if ci+1 < len(x.chunks) {
		return x.chunks[ci+1][0].id
	}
	return ^uint64(0)
}

// insert adds p, whose id is absent.
func (x *holderIndex) insert(p hpair) {
	if len(x.chunks) == 0 {
		x.chunks = [][]hpair{{p}}
		return
	}
	ci := max(x.chunkFor(p.id), 0)
	c := x.chunks[ci]
	c = slices.Insert(c, above(c, p.id), p)
	if len(c) <= holderChunkMax {
		x.chunks[ci] = c
		return
	}
	half := len(c) / 2
	right := slices.Clone(c[half:])
	x.chunks[ci] = c[:half:half]
	x.chunks = slices.Insert(x.chunks, ci+1, right)
}

// each calls f on every pair in increasing id order.
func (x *holderIndex) each(f func(hpair)) {
	for _, c := range x.chunks {
		for _, p := range c {
			f(p)
		}
	}
}

// flatten returns the pairs in order in one new slice.
func (x *holderIndex) flatten() []hpair {
	var n int
	for _, c := range x.chunks {
		n += len(c)
	}
	out := make([]hpair, 0, n)
	for _, c := range x.chunks {
		out = append(out, c...)
	}
	return out
}

// sortPairs returns (ids[i], base+i) sorted by id: one counting pass
// distributes them by their top bits into about n/8 buckets, then the
// buckets are sorted in parallel, by insertion when small. Random ids make
// buckets of a few pairs; ids crowded into one bucket only cost an
// ordinary O(n log n) sort.
func sortPairs(ids []uint64, base uint64) []hpair {
	out := make([]hpair, len(ids))
	if len(ids) < 1<<12 {
		for i, id := range ids {
			out[i] = hpair{id: id, idx: base + uint64(i)}
		}
		slices.SortFunc(out, func(a, b hpair) int { return cmpU64(a.id, b.id) })
		return out
	}
	shift := 64 - min(bits.Len(uint(len(ids)))-3, 22)
	start := make([]int, 1<<(64-shift)+1)
	for _, id := range ids {
		start[id>>shift+1]++
	}
	for b := 1; b < len(start); b++ {
		start[b] += start[b-1]
	}
	pos := slices.Clone(start[:len(start)-1])
	for i, id := range ids {
		b := id >> shift
		out[pos[b]] = hpair{id: id, idx: base + uint64(i)}
		pos[b]++
	}
	parallel(len(start)-1, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			seg := out[start[b]:start[b+1]]
			if len(seg) > 24 {
				slices.SortFunc(seg, func(a, b hpair) int { return cmpU64(a.id, b.id) })
				continue
			}
			for i := 1; i < len(seg); i++ {
				for j := i; j > 0 && seg[j].id < seg[j-1].id; j-- {
					seg[j], seg[j-1] = seg[j-1], seg[j]
				}
			}
		}
	})
	return out
}

// mergePairs merges two sorted runs; an id in both is an error wrapping
// [ErrPresent].
func mergePairs(a, b []hpair) ([]hpair, error) {
	out := make([]hpair, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].id < b[j].id:
			out = append(out, a[i])
			i++
		case a[i].id > b[j].id:
			out = append(out, b[j])
			j++
		default:
			return nil, fmt.Errorf("%w: id already revoked", ErrPresent)
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...), nil
}

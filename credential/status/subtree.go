package status

import (
	"encoding/binary"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// DefaultSubtreeLevel is the subtree level a revocation registry publishes
// roots at: subtrees of 2^12 = 4,096 leaves, so a holder hashes 8,191
// nodes of its own subtree, and the published roots of a [DefaultDepth]
// tree are at most 4,096 × 32 bytes = 128 KiB (78 KiB at 10^7 revocations).
const DefaultSubtreeLevel = 12

// MaxSubtreeLevel is the largest subtree level a [HolderView] accepts:
// 2^20 leaves, so a holder never keeps more than 64 MiB of one subtree.
const MaxSubtreeLevel = 20

// SubtreeChunkRoots is the number of subtree roots in a full chunk
// (format version 1); the last chunk of a tree may hold fewer.
const SubtreeChunkRoots = 64

// MaxSubtreeChunkSize is the size of the largest version 1 subtree chunk:
// its header and [SubtreeChunkRoots] roots.
const MaxSubtreeChunkSize = subtreeHeaderLen + 32*SubtreeChunkRoots

const (
	subtreeMagic     = "zkcrsub\x01"
	subtreeHeaderLen = 26
)

// subtreeChunk is one chunk of the published subtree roots; its wire
// format (version 1) is documented in the package doc, "Subtree chunk
// format, version 1".
type subtreeChunk struct {
	depth, level int
	count        uint64
	index        uint64
	roots        []fr.Element
}

// subtreeCount returns S, the number of populated subtrees of 2^level
// leaves in a tree holding count ids (count+1 leaves).
func subtreeCount(count uint64, level int) uint64 {
	return count>>uint(level) + 1
}

// SubtreeChunkCount returns the number of version 1 subtree chunks of a
// revocation tree holding count revoked ids, with subtree roots at level
// (see [Tree.SubtreeChunk]), or 0 for a level outside [1,
// [MaxSubtreeLevel]].
func SubtreeChunkCount(count uint64, level int) uint64 {
	if level < 1 || level > MaxSubtreeLevel {
		return 0
	}
	return (subtreeCount(count, level)-1)/SubtreeChunkRoots + 1
}

// checkSubtreeShape checks depth, level and count of a chunk or a view.
func checkSubtreeShape(depth, level int, count uint64) error {
	if depth < 1 || depth > MaxDepth {
		return fmt.Errorf("%w: depth %d not in [1, %d]", ErrInvalidDepth, depth, MaxDepth)
	}
	if level < 1 || level > min(depth, MaxSubtreeLevel) {
		return fmt.Errorf("%w: subtree level %d not in [1, %d]", ErrInvalidSubtrees, level, min(depth, MaxSubtreeLevel))
	}
	if depth < 64 && count >= uint64(1)<<uint(depth) {
		return fmt.Errorf("%w: %d ids do not fit depth %d", ErrInvalidSubtrees, count, depth)
	}
	if count == ^uint64(0) {
		return fmt.Errorf("%w: %d ids do not fit depth %d", ErrInvalidSubtrees, count, depth)
	}
	return nil
}

// rootsInChunk returns m, the number of roots chunk index holds, or an
// error if the chunk does not exist.
func rootsInChunk(count uint64, level int, index uint64) (int, error) {
	s := subtreeCount(count, level)
	if index >= SubtreeChunkCount(count, level) {
		return 0, fmt.Errorf("%w: chunk %d of a tree with %d subtrees", ErrInvalidSubtrees, index, s)
	}
	return int(min(SubtreeChunkRoots, s-index*SubtreeChunkRoots)), nil
}

func (c *subtreeChunk) marshal() ([]byte, error) {
	if err := checkSubtreeShape(c.depth, c.level, c.count); err != nil {
		return nil, err
	}
	m, err := rootsInChunk(c.count, c.level, c.index)
	if err != nil {
		return nil, err
	}
	if len(c.roots) != m {
		return nil, fmt.Errorf("%w: chunk %d has %d roots, want %d", ErrInvalidSubtrees, c.index, len(c.roots), m)
	}
	b := make([]byte, subtreeHeaderLen, subtreeHeaderLen+32*m)
	copy(b, subtreeMagic)
	b[8] = byte(c.depth)
	b[9] = byte(c.level)
	binary.BigEndian.PutUint64(b[10:], c.count)
	binary.BigEndian.PutUint64(b[18:], c.index)
	for i := range c.roots {
		r := c.roots[i].Bytes()
		b = append(b, r[:]...)
	}
	return b, nil
}

// parseSubtreeChunk decodes a version 1 chunk exactly; errors wrap
// [ErrInvalidSubtrees] (or [ErrInvalidDepth] for a depth out of range).
func parseSubtreeChunk(b []byte) (*subtreeChunk, error) {
	if len(b) > MaxSubtreeChunkSize {
		return nil, fmt.Errorf("%w: chunk of %d bytes exceeds %d", ErrInvalidSubtrees, len(b), MaxSubtreeChunkSize)
	}
	if len(b) < subtreeHeaderLen {
		return nil, fmt.Errorf("%w: truncated header (%d bytes)", ErrInvalidSubtrees, len(b))
	}
	if string(b[:8]) != subtreeMagic {
		return nil, fmt.Errorf("%w: bad magic or unsupported version", ErrInvalidSubtrees)
	}
	c := &subtreeChunk{
		depth: int(b[8]),
		level: int(b[9]),
		count: binary.BigEndian.Uint64(b[10:]),
		index: binary.BigEndian.Uint64(b[18:]),
	}
	if err := checkSubtreeShape(c.depth, c.level, c.count); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSubtrees, err)
	}
	m, err := rootsInChunk(c.count, c.level, c.index)
	if err != nil {
		return nil, err
	}
	if len(b) != subtreeHeaderLen+32*m {
		return nil, fmt.Errorf("%w: chunk %d is %d bytes, want %d (%d roots)", ErrInvalidSubtrees, c.index, len(b), subtreeHeaderLen+32*m, m)
	}
	c.roots = make([]fr.Element, m)
	for i := range c.roots {
		if err := c.roots[i].SetBytesCanonical(b[subtreeHeaderLen+32*i : subtreeHeaderLen+32*i+32]); err != nil {
			return nil, fmt.Errorf("%w: root %d: %v", ErrInvalidSubtrees, i, err)
		}
	}
	return c, nil
}

// SubtreeChunk encodes chunk index of the tree's subtree roots at level in
// the version 1 format documented in the package doc ("Subtree chunk
// format, version 1"); there are [SubtreeChunkCount](t.Len(), level) chunks.
// The roots are read from the tree's kept nodes: no hashing. A registry
// publishes every chunk with each signed root so that holders compute
// witnesses with a [HolderView]. It returns an error wrapping
// [ErrInvalidSubtrees] for a level out of range or a chunk that does not
// exist, and for a set tree.
func (t *Tree) SubtreeChunk(level int, index uint64) ([]byte, error) {
	if t.set || !t.max.Equal(&revocationMax) {
		return nil, fmt.Errorf("%w: subtree chunks are published for revocation trees only", ErrInvalidSubtrees)
	}
	count := uint64(t.Len())
	if err := checkSubtreeShape(t.depth, level, count); err != nil {
		return nil, err
	}
	m, err := rootsInChunk(count, level, index)
	if err != nil {
		return nil, err
	}
	c := &subtreeChunk{depth: t.depth, level: level, count: count, index: index, roots: make([]fr.Element, m)}
	for i := range c.roots {
		c.roots[i] = t.node(level, index*SubtreeChunkRoots+uint64(i))
	}
	return c.marshal()
}

package status

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// SubtreeRoots returns the published subtree roots the view holds for its
// [HolderView.Len] ids, 32 bytes each (big-endian field elements) in
// subtree order, for a holder to keep beside its ids so that a restarted
// view needs only the chunks whose subtrees change
// ([HolderView.RestoreSubtreeRoots]). It returns nil while
// [HolderView.StaleChunks] is not empty.
func (v *HolderView) SubtreeRoots() []byte {
	if v.nStale > 0 {
		return nil
	}
	out := make([]byte, 0, fr.Bytes*len(v.roots))
	for i := range v.roots {
		b := v.roots[i].Bytes()
		out = append(out, b[:]...)
	}
	return out
}

// RestoreSubtreeRoots takes the roots [HolderView.SubtreeRoots] returned
// for a view of the same depth and level holding the same ids (restored
// with [HolderView.Append]): the view then needs no chunk until new ids
// change a subtree. Like chunks, the roots are checked only when a
// witness is computed ([HolderView.NonRevocationWitness]: wrong roots give
// [ErrSubtreeMismatch] and every root is stale again), so roots kept where
// someone could change them cost the holder a download, never a wrong
// witness. It returns an error wrapping [ErrInvalidSubtrees] for roots of
// another count or non-canonical field elements; the view is then
// unchanged.
func (v *HolderView) RestoreSubtreeRoots(b []byte) error {
	if uint64(len(b)) != fr.Bytes*uint64(len(v.roots)) {
		return fmt.Errorf("%w: %d bytes of roots for %d subtrees", ErrInvalidSubtrees, len(b), len(v.roots))
	}
	roots := make([]fr.Element, len(v.roots))
	for i := range roots {
		if err := roots[i].SetBytesCanonical(b[fr.Bytes*i : fr.Bytes*(i+1)]); err != nil {
			return fmt.Errorf("%w: root %d: %v", ErrInvalidSubtrees, i, err)
		}
	}
	copy(v.roots, roots)
	for s := range v.stale {
		v.stale[s] = false
	}
	v.nStale = 0
	v.top, v.dirty = nil, v.dirty[:0] // the levels above are hashed again
	return nil
}

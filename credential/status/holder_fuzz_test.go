package status

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseSubtreeChunk: the subtree chunk parser never panics, refuses
// with ErrInvalidSubtrees, and whatever parses re-marshals to exactly the
// input (one encoding); a view given any chunk either refuses it or, if it
// takes it, gives a witness that verifies against the root or a sentinel.
func FuzzParseSubtreeChunk(f *testing.F) {
	const depth, level = 10, 2
	ids := randomIDs(71, 300) // 76 subtrees of 4 leaves: two chunks
	tr := revocationTree(f, depth, ids)
	root := tr.Root()
	for _, t := range []*Tree{tr, revocationTree(f, 4, nil), revocationTree(f, 64, []uint64{9})} {
		for l := 1; l <= min(t.Depth(), 3); l++ {
			for j := range SubtreeChunkCount(uint64(t.Len()), l) {
				f.Add(mustChunk(f, t, l, j))
			}
		}
	}
	last := mustChunk(f, tr, level, 1)
	f.Add(last[:len(last)-1])
	f.Add(append(bytes.Clone(last), 0))
	// A synced view with its witness hashed: each input then costs only
	// the paths above the roots it changes.
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
	if _, err := base.NonRevocationWitness(ids[100]+1, root); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		allocCeiling(t, func() {
			c, err := parseSubtreeChunk(b)
			if err != nil {
				if !errors.Is(err, ErrInvalidSubtrees) || c != nil {
					t.Fatalf("error %v with chunk %v", err, c)
				}
			} else {
				out, err := c.marshal()
				if err != nil {
					t.Fatalf("parsed chunk does not marshal: %v", err)
				}
				if !bytes.Equal(out, b) {
					t.Fatal("re-marshalled chunk differs from input")
				}
			}
			v := base.clone()
			if err := v.ApplySubtreeChunk(b); err != nil {
				if !errors.Is(err, ErrInvalidSubtrees) {
					t.Fatalf("apply: %v", err)
				}
				return
			}
			// Only b's roots are in doubt: the view's others are honest.
			if s := v.StaleChunks(); len(s) != 0 {
				t.Fatalf("chunks %v stale after taking one", s)
			}
			w, err := v.NonRevocationWitness(ids[100]+1, root)
			switch {
			case err == nil:
				if err := w.VerifyNonMembership(root, depth, u64(ids[100]+1)); err != nil {
					t.Fatalf("view gave a witness that does not verify: %v", err)
				}
			case errors.Is(err, ErrSubtreeMismatch), errors.Is(err, ErrRevoked):
			default:
				t.Fatalf("witness: %v", err)
			}
		})
	})
}

package status

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// randomIDs returns n distinct revocation ids from a seeded generator.
func randomIDs(seed uint64, n int) []uint64 {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	seen := make(map[uint64]struct{}, n)
	ids := make([]uint64, 0, n)
	for len(ids) < n {
		id := rng.Uint64()
		if id == 0 || id == ^uint64(0) {
			continue
		}
		if _, ok := seen[id]; ok {
			continue
		}
		seen[id] = struct{}{}
		ids = append(ids, id)
	}
	return ids
}

// snapshotOf builds the snapshot of a revocation tree holding ids.
func snapshotOf(tb testing.TB, depth int, seq uint64, ids []uint64) *Snapshot {
	tb.Helper()
	vals := make([]fr.Element, len(ids))
	for i, id := range ids {
		vals[i].SetUint64(id)
	}
	t, err := buildTree(depth, revocationMax, false, vals)
	if err != nil {
		tb.Fatal(err)
	}
	return &Snapshot{Depth: depth, Sequence: seq, Root: t.Root(), IDs: ids}
}

func TestSnapshotRoundTrip(t *testing.T) {
	ids := randomIDs(1, 500)
	// Incremental tree, as an issuer builds it.
	tr, _ := NewTree(16, revocationMax)
	for _, id := range ids {
		if err := tr.Insert(u(id)); err != nil {
			t.Fatal(err)
		}
	}
	s := &Snapshot{Depth: 16, Sequence: 42, Root: tr.Root(), IDs: ids}
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != snapshotHeaderLen+8*len(ids) {
		t.Fatalf("size %d", len(b))
	}
	p, err := ParseSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Depth != 16 || p.Sequence != 42 || !p.Root.Equal(&s.Root) || len(p.IDs) != len(ids) {
		t.Fatal("round trip changed the snapshot")
	}
	ht, err := p.Tree()
	if err != nil {
		t.Fatal(err)
	}
	// The holder's witness verifies against the issuer's root.
	root := tr.Root()
	w, err := NonRevocationWitness(ht, 12345)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.VerifyNonMembership(root, 16, u(12345)); err != nil {
		t.Fatal(err)
	}
	if _, err := NonRevocationWitness(ht, ids[17]); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked id: got %v, want ErrRevoked", err)
	}
	if _, err := NonRevocationWitness(ht, 0); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("id 0: got %v, want ErrOutOfRange", err)
	}
	// Reordering the ids changes the root: the snapshot is rejected.
	swapped := *p
	swapped.IDs = append([]uint64{}, p.IDs...)
	swapped.IDs[0], swapped.IDs[1] = swapped.IDs[1], swapped.IDs[0]
	if _, err := swapped.Tree(); !errors.Is(err, ErrInvalidSnapshot) {
		t.Fatalf("reordered ids: got %v", err)
	}
}

func TestSnapshotUpdate(t *testing.T) {
	ids := randomIDs(2, 300)
	old := snapshotOf(t, 12, 1, ids[:200])
	ht, err := old.Tree()
	if err != nil {
		t.Fatal(err)
	}
	next := snapshotOf(t, 12, 2, ids)
	if err := next.Update(ht); err != nil {
		t.Fatal(err)
	}
	if r := ht.Root(); r != next.Root || ht.Len() != 300 {
		t.Fatal("updated tree differs")
	}
	// Already current: no-op.
	if err := next.Update(ht); err != nil {
		t.Fatal(err)
	}
	// Rollback, rewritten history, wrong depth.
	if err := old.Update(ht); !errors.Is(err, ErrInvalidSnapshot) {
		t.Fatalf("rollback: %v", err)
	}
	forked := snapshotOf(t, 12, 3, append(append([]uint64{}, ids[1:]...), 7))
	if err := forked.Update(ht); !errors.Is(err, ErrInvalidSnapshot) {
		t.Fatalf("forked history: %v", err)
	}
	other, _ := snapshotOf(t, 13, 1, nil).Tree()
	if err := next.Update(other); !errors.Is(err, ErrInvalidSnapshot) {
		t.Fatalf("depth: %v", err)
	}
	// New ids that do not give the stated root.
	bad := *next
	bad.IDs = append(append([]uint64{}, ids...), 99)
	if err := bad.Update(ht); !errors.Is(err, ErrInvalidSnapshot) {
		t.Fatalf("wrong root: %v", err)
	}
}

func TestParseSnapshotRejects(t *testing.T) {
	good, err := snapshotOf(t, 8, 3, []uint64{5, 9, 7}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte{}, good...)) }
	var rBytes [32]byte // r, the field modulus: not canonical
	fr.Modulus().FillBytes(rBytes[:])
	cases := map[string][]byte{
		// Framing.
		"empty":          {},
		"short header":   good[:snapshotHeaderLen-1],
		"bad magic":      mut(func(b []byte) []byte { b[0] = 'Z'; return b }),
		"future version": mut(func(b []byte) []byte { b[7] = 2; return b }),
		"truncated ids":  good[:len(good)-1],
		"trailing byte":  append(append([]byte{}, good...), 0),
		// Ranges.
		"depth 0":  mut(func(b []byte) []byte { b[8] = 0; return b }),
		"depth 65": mut(func(b []byte) []byte { b[8] = 65; return b }),
		"count does not fit depth": mut(func(b []byte) []byte {
			b[8] = 1
			return b
		}),
		"huge count": mut(func(b []byte) []byte { binary.BigEndian.PutUint64(b[17:], 1<<40); return b }),
		"non-canonical root": mut(func(b []byte) []byte {
			copy(b[25:57], rBytes[:])
			return b
		}),
		"id zero": mut(func(b []byte) []byte {
			binary.BigEndian.PutUint64(b[snapshotHeaderLen:], 0)
			return b
		}),
		"id max": mut(func(b []byte) []byte {
			binary.BigEndian.PutUint64(b[snapshotHeaderLen:], ^uint64(0))
			return b
		}),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if s, err := ParseSnapshot(b); !errors.Is(err, ErrInvalidSnapshot) || s != nil {
				t.Fatalf("got %v, %v; want ErrInvalidSnapshot", s, err)
			}
		})
	}
	// A count above the reader's own limit.
	if _, err := ReadSnapshot(bytes.NewReader(good), 2); !errors.Is(err, ErrInvalidSnapshot) {
		t.Fatalf("limit: got %v", err)
	}
	// Parses, but the tree is inconsistent: a repeated id, a wrong root.
	for name, b := range map[string][]byte{
		"repeated id": mut(func(b []byte) []byte {
			copy(b[snapshotHeaderLen+8:], b[snapshotHeaderLen:snapshotHeaderLen+8])
			return b
		}),
		"wrong root": mut(func(b []byte) []byte { b[56] ^= 1; return b }),
	} {
		s, err := ParseSnapshot(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := s.Tree(); !errors.Is(err, ErrInvalidSnapshot) {
			t.Fatalf("%s: got %v", name, err)
		}
	}
}

// BenchmarkHolderWitness measures what a holder does with a published
// snapshot of n revoked ids: parse it, rebuild the tree (hashing in
// parallel) and compute a non-membership witness.
func BenchmarkHolderWitness(b *testing.B) {
	for _, n := range []int{1e4, 1e5, 1e6} {
		for _, depth := range []int{DefaultDepth, 32} {
			b.Run(fmt.Sprintf("revoked=%d/depth=%d", n, depth), func(b *testing.B) {
				raw, err := snapshotOf(b, depth, 1, randomIDs(7, n)).MarshalBinary()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := cpuTime()
				for b.Loop() {
					s, err := ParseSnapshot(raw)
					if err != nil {
						b.Fatal(err)
					}
					t, err := s.Tree()
					if err != nil {
						b.Fatal(err)
					}
					if _, err := NonRevocationWitness(t, 3); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(raw)), "snapshot_bytes")
				// CPU seconds are less disturbed than wall time on a shared
				// machine; wall ≈ cpu / cores when the machine is idle.
				b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu_s/op")
			})
		}
	}
}

// BenchmarkWitnessFromTree measures a non-membership witness once the tree
// is in memory (the holder keeps it between presentations).
func BenchmarkWitnessFromTree(b *testing.B) {
	for _, n := range []int{1e4, 1e5, 1e6} {
		b.Run(fmt.Sprintf("revoked=%d", n), func(b *testing.B) {
			t, err := snapshotOf(b, DefaultDepth, 1, randomIDs(7, n)).Tree()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := NonRevocationWitness(t, 3); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTreeInsert measures one revocation in the in-memory tree (no
// persistence) at depth 24 with 10^5 ids already in.
func BenchmarkTreeInsert(b *testing.B) {
	ids := randomIDs(9, 1e5+b.N)
	t, err := snapshotOf(b, DefaultDepth, 1, ids[:1e5]).Tree()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := t.Insert(u(ids[1e5+i])); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHolderUpdate measures a holder that keeps its tree of 10^6
// revoked ids bringing it up to date with 100 new revocations.
func BenchmarkHolderUpdate(b *testing.B) {
	const n, added = 1e6, 100
	ids := randomIDs(13, n+added)
	next := snapshotOf(b, DefaultDepth, 2, ids)
	base := snapshotOf(b, DefaultDepth, 1, ids[:n])
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		t, err := base.Tree()
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := next.Update(t); err != nil {
			b.Fatal(err)
		}
	}
}

package registry

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential/status"
)

// BenchmarkRevoke measures one durable revocation (tree insert, Ed25519
// root signature, one bbolt transaction with fsync) in a registry that
// already holds `preloaded` ids.
func BenchmarkRevoke(b *testing.B) {
	for _, pre := range []int{0, 1e5} {
		for _, batch := range []int{1, 100} {
			b.Run(fmt.Sprintf("preloaded=%d/batch=%d", pre, batch), func(b *testing.B) {
				st, err := OpenBoltStore(filepath.Join(b.TempDir(), "reg.db"))
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				cfg := testConfig()
				cfg.Depth = status.DefaultDepth
				r, err := Open(st, cfg)
				if err != nil {
					b.Fatal(err)
				}
				ids := randomIDs(11, pre+batch*b.N)
				if pre > 0 {
					if _, err := r.Revoke(ids[:pre]...); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					lo := pre + i*batch
					if _, err := r.Revoke(ids[lo : lo+batch]...); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/id")
			})
		}
	}
}

// BenchmarkStatusListPublish measures issuing a 131,072-bit
// BitstringStatusListCredential JWT with 1% of the bits set.
func BenchmarkStatusListPublish(b *testing.B) {
	st, err := OpenBoltStore(filepath.Join(b.TempDir(), "reg.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	r, err := Open(st, testConfig())
	if err != nil {
		b.Fatal(err)
	}
	for i := uint64(0); i < status.MinStatusListBits; i += 100 {
		if err := r.SetStatus("l", i, true); err != nil {
			b.Fatal(err)
		}
	}
	var tok string
	b.ReportAllocs()
	for b.Loop() {
		if tok, err = r.StatusListCredential("l", status.PurposeRevocation, "https://example.com/lists/1", time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(tok)), "jwt_bytes")
}

// randomIDs returns n distinct revocation ids from a seeded generator
// (the sequence of status's test helper of the same name).
func randomIDs(seed uint64, n int) []uint64 {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	seen := make(map[uint64]bool, n)
	ids := make([]uint64, 0, n)
	for len(ids) < n {
		if id := rng.Uint64(); checkID(id) == nil && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// BenchmarkRevokePostgres measures one durable revocation on a
// [PostgresStore] (tree insert, Ed25519 root signature, one fenced write
// transaction with synchronous_commit on; the test server runs with
// fsync=off, so this is the round trips and the server's work, not a disk
// flush).
func BenchmarkRevokePostgres(b *testing.B) {
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			cfg := testConfig()
			cfg.Depth = status.DefaultDepth
			st := openPGStore(b, pgSchemaDSN(b))
			r, err := Open(st, cfg)
			if err != nil {
				b.Fatal(err)
			}
			ids := randomIDs(12, batch*b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := r.Revoke(ids[i*batch : (i+1)*batch]...); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/id")
		})
	}
}

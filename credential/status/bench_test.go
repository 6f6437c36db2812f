package status

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
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
				cfg.Depth = DefaultDepth
				r, err := OpenRegistry(st, cfg)
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

// BenchmarkPublishRoot measures signing a root (the publication step of
// each change) and verifying it on the verifier side.
func BenchmarkPublishRoot(b *testing.B) {
	c := testClaims()
	b.Run("sign/Ed25519", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := SignRoot(c, testEdKey, testKID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sign/P-256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := SignRoot(c, testP256Key, testIssuer+"#key-2"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify/Ed25519", func(b *testing.B) {
		jws, err := SignRoot(c, testEdKey, testKID)
		if err != nil {
			b.Fatal(err)
		}
		res := testResolver(b)
		opts := VerifyRootOptions{Now: func() time.Time { return testNow }}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := VerifySignedRoot(context.Background(), res, jws, opts); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(jws)), "jws_bytes")
	})
}

// BenchmarkStatusListPublish measures issuing a 131,072-bit
// BitstringStatusListCredential JWT with 1% of the bits set.
func BenchmarkStatusListPublish(b *testing.B) {
	st, err := OpenBoltStore(filepath.Join(b.TempDir(), "reg.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	r, err := OpenRegistry(st, testConfig())
	if err != nil {
		b.Fatal(err)
	}
	for i := uint64(0); i < MinStatusListBits; i += 100 {
		if err := r.SetStatus("l", i, true); err != nil {
			b.Fatal(err)
		}
	}
	var tok string
	b.ReportAllocs()
	for b.Loop() {
		if tok, err = r.StatusListCredential("l", PurposeRevocation, "https://example.com/lists/1", time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(tok)), "jwt_bytes")
}

// BenchmarkSnapshotSize reports the encoded holder snapshot size per
// revoked-id count (8 bytes per id plus a 57-byte header).
func BenchmarkSnapshotSize(b *testing.B) {
	for _, n := range []int{1e4, 1e5, 1e6} {
		b.Run(fmt.Sprintf("revoked=%d", n), func(b *testing.B) {
			s := &Snapshot{Depth: DefaultDepth, IDs: randomIDs(3, n)}
			var out []byte
			var err error
			for b.Loop() {
				if out, err = s.MarshalBinary(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(out)), "snapshot_bytes")
		})
	}
}

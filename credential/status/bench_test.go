package status

import (
	"context"
	"fmt"
	"testing"
	"time"
)

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

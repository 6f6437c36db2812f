package registry

import (
	"context"
	"crypto"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential/status"
)

// kmsSigner stands for a key held in an HSM or a cloud KMS: a
// crypto.Signer that is not an ed25519.PrivateKey, counting its
// signatures.
type kmsSigner struct {
	key crypto.Signer
	n   *atomic.Int32
}

func (k kmsSigner) Public() crypto.PublicKey { return k.key.Public() }
func (k kmsSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	k.n.Add(1)
	return k.key.Sign(r, d, o)
}

// TestRegistryWithSignerInterface: a registry whose Signer is only a
// crypto.Signer signs its roots (on creation, on revocation, on refresh)
// through it, and they verify against the DID document.
func TestRegistryWithSignerInterface(t *testing.T) {
	var n atomic.Int32
	cfg := testConfig()
	cfg.Signer = kmsSigner{testEdKey, &n}
	cfg.Now = func() time.Time { return testNow }
	r, st := openTestRegistry(t, t.TempDir()+"/reg.db", cfg)
	defer st.Close()
	if _, err := r.Revoke(77); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RefreshRoot(); err != nil {
		t.Fatal(err)
	}
	if n.Load() < 3 {
		t.Fatalf("the signer signed %d roots, want at least 3", n.Load())
	}
	if _, err := status.VerifySignedRoot(context.Background(), testResolver(t), r.SignedRoot(),
		status.VerifyRootOptions{Issuer: testIssuer, MinSequence: 1, Now: func() time.Time { return testNow }}); err != nil {
		t.Fatal(err)
	}
}

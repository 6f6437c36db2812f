package issuer

import (
	"context"
	"crypto"
	"io"
	"sync/atomic"
	"testing"

	"github.com/zkcred/zkcred/credential"
)

// kmsSigner stands for a JOSE key held in an HSM or a cloud KMS: a
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

// TestIssuerWithSignerInterface: the OpenID4VCI issuer configured with a
// JOSE key that is only a crypto.Signer issues over HTTP a credential the
// wallet verifies, signed through that signer.
func TestIssuerWithSignerInterface(t *testing.T) {
	var n atomic.Int32
	e := newEnv(t, nil, func(c *Config) {
		is := *c.Issuer
		is.JOSEKey = kmsSigner{is.JOSEKey, &n}
		c.Issuer = &is
	})
	ctx := context.Background()
	o, s := e.session(t, "citizen-1")
	if err := e.wallet.Redeem(ctx, s, o.TxCode); err != nil {
		t.Fatal(err)
	}
	st, err := e.wallet.RequestCredential(ctx, s, newSecret(t))
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 1 {
		t.Fatalf("the signer signed %d times, want 1", n.Load())
	}
	if _, err := st.Verify(ctx, e.resolver, credential.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
}

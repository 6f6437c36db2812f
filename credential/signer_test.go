package credential

import (
	"context"
	"crypto"
	"io"
	"sync/atomic"
	"testing"
)

// kmsSigner stands for a JOSE key held in an HSM or a cloud KMS: a
// crypto.Signer that is neither an ed25519.PrivateKey nor an
// *ecdsa.PrivateKey, and counts the signatures it makes.
type kmsSigner struct {
	key crypto.Signer
	n   *atomic.Int32
}

func (k kmsSigner) Public() crypto.PublicKey { return k.key.Public() }
func (k kmsSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	k.n.Add(1)
	return k.key.Sign(r, d, o)
}

// TestIssueWithSignerInterface: an Issuer whose JOSE key is only a
// crypto.Signer (Ed25519 and P-256) issues credentials that verify, and
// the Ed25519 VC-JWT is the one the concrete key signs (Ed25519 is
// deterministic).
func TestIssueWithSignerInterface(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		name string
		key  crypto.Signer
		kid  string
	}{{"Ed25519", f.ed, agencyDID + "#jose-ed"}, {"P-256", f.p256, agencyDID + "#jose-p256"}} {
		t.Run(c.name, func(t *testing.T) {
			var n atomic.Int32
			is := testIssuer(f)
			is.JOSEKey, is.JOSEKeyID = kmsSigner{c.key, &n}, c.kid
			s, err := is.Issue(testRequest(t))
			if err != nil {
				t.Fatal(err)
			}
			if n.Load() != 1 {
				t.Fatalf("the signer signed %d times, want 1", n.Load())
			}
			if _, err := s.Verify(context.Background(), f.resolver, clockAt(testNow)); err != nil {
				t.Fatal(err)
			}
			if c.name == "Ed25519" {
				is := testIssuer(f)
				is.JOSEKeyID = c.kid
				direct, err := is.Issue(testRequest(t))
				if err != nil {
					t.Fatal(err)
				}
				if direct.JWT != s.JWT {
					t.Error("the VC-JWT signed through the signer differs from the concrete key's")
				}
			}
		})
	}
}

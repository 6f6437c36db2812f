package openid4vp

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"sync/atomic"
	"testing"
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

// TestSignRequestObjectWithSignerInterface: a Request Object signed
// through a crypto.Signer that is not a concrete key is the one the
// concrete Ed25519 key signs, and the Wallet side verifies it; a signer
// of an unsupported curve is refused before it is asked to sign.
func TestSignRequestObjectWithSignerInterface(t *testing.T) {
	var n atomic.Int32
	jwt, err := SignRequestObject(testRequestObject(t), kmsSigner{signKey, &n}, kid, false)
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 1 {
		t.Fatalf("the signer signed %d times, want 1", n.Load())
	}
	direct, err := SignRequestObject(testRequestObject(t), signKey, kid, false)
	if err != nil {
		t.Fatal(err)
	}
	if jwt != direct {
		t.Error("the signer's Request Object differs from the concrete key's")
	}
	uri, err := AuthorizationRequestURI(clientID, requestURI)
	if err != nil {
		t.Fatal(err)
	}
	ar, err := ParseAuthorizationRequest(uri, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyRequestObject(context.Background(), ar, jwt, resolver(t), testOpts()); err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if _, err := SignRequestObject(testRequestObject(t), kmsSigner{p384, &n}, kid, false); !errors.Is(err, ErrInvalidRequest) || n.Load() != 1 {
		t.Errorf("P-384 signer: %v (signed %d)", err, n.Load())
	}
	if _, err := SignRequestObject(testRequestObject(t), nil, kid, false); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("nil signer: %v", err)
	}
}

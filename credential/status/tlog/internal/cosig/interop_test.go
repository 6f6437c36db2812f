package cosig

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
)

// TestTorchwoodInterop checks the tlog-cosignature/v1 code against
// filippo.io/torchwood, a maintained implementation of c2sp.org/tlog-cosignature
// (v0.6.1, the newest that builds with this project's Go): each verifies the
// other's cosignatures of a checkpoint, and both derive the same key hash and
// verifier key.
func TestTorchwoodInterop(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const name = "witness.example/w1"
	body := []byte("did:web:agency.example/revocation\n42\n" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n")

	tw, err := torchwood.NewCosignatureSigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := KeyHash(name, pub), tw.KeyHash(); got != want {
		t.Fatalf("key hash %08x, torchwood %08x", got, want)
	}
	if got, want := VerifierKey(name, pub), tw.Verifier().String(); got != want {
		t.Fatalf("verifier key %q, torchwood %q", got, want)
	}

	// torchwood signs, we verify.
	sig, err := tw.Sign(body)
	if err != nil {
		t.Fatal(err)
	}
	ts, ok := Verify(pub, body, sig)
	if !ok || ts == 0 {
		t.Fatalf("torchwood's cosignature refused (time %d)", ts)
	}
	// Another well-formed checkpoint: the same log one entry larger.
	bad := bytes.Replace(body, []byte("\n42\n"), []byte("\n43\n"), 1)
	if _, ok := Verify(pub, bad, sig); ok {
		t.Fatal("torchwood's cosignature accepted for another checkpoint")
	}

	// We sign a cosignature line; torchwood's verifier, through x/mod's
	// signed-note reader, opens the note it ends.
	line := Sign(name, priv, 1765000000, body)
	n, err := note.Open(append(append(append([]byte{}, body...), '\n'), line...), note.VerifierList(tw.Verifier()))
	if err != nil {
		t.Fatalf("torchwood refused our cosignature line %q: %v", line, err)
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != name || n.Sigs[0].Hash != KeyHash(name, pub) {
		t.Fatalf("signatures %+v", n.Sigs)
	}
	if ts, err := torchwood.CosignatureTimestamp(n.Sigs[0]); err != nil || ts != 1765000000 {
		t.Fatalf("torchwood reads the time %d, %v", ts, err)
	}
	if _, err := note.Open(append(append(append([]byte{}, bad...), '\n'), line...), note.VerifierList(tw.Verifier())); err == nil {
		t.Fatal("torchwood accepted our cosignature for another checkpoint")
	}
}

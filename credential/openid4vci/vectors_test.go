package openid4vci

import (
	"crypto/ed25519"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

var update = flag.Bool("update", false, "rewrite the test vectors in testdata/vectors")

// Test vectors of the profile (PROFILE.md), all deterministic: the key
// proof zkcred-commitment-proof-v1 made with an Ed25519 key from a zero
// seed (Ed25519 signatures are deterministic), a fixed nonce, time and
// commitment; and a Credential Offer, by value and as both URIs.
const (
	vectorAud   = "https://agency.example"
	vectorNonce = "bm9uY2UtZm9yLXRoZS12ZWN0b3I"
	vectorOffer = `{"credential_issuer":"https://agency.example","credential_configuration_ids":["zkcred_person"],"grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"SplxlOBeZQQYbYS6WxSbIA","tx_code":{"input_mode":"numeric","length":6,"description":"The PIN in your letter"}}}}`
)

var vectorTime = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func vectorFile(t *testing.T, name, got string) string {
	t.Helper()
	path := filepath.Join("testdata", "vectors", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

// TestVectorProof: the committed key proof is what NewProof makes from the
// vector's inputs, and VerifyProof reads the commitment back from it.
func TestVectorProof(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	var c fr.Element
	c.SetUint64(0x7a6b637265640001)
	proof, err := NewProof(key, vectorAud, vectorNonce, c, vectorTime)
	if err != nil {
		t.Fatal(err)
	}
	want := vectorFile(t, "proof.jwt", proof)
	if proof != want {
		t.Errorf("NewProof no longer makes the committed vector:\n got %s\nwant %s", proof, want)
	}
	vp, err := VerifyProof(want, vectorAud, vectorTime.Add(time.Minute), 5*time.Minute, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !vp.Commitment.Equal(&c) || vp.Nonce != vectorNonce || !vp.IssuedAt.Equal(vectorTime) {
		t.Errorf("verified %+v", vp)
	}
}

// TestVectorOffer: the committed offer, by value and as the by-value URI,
// parses to the same offer; the by-reference URI names its offer URL.
func TestVectorOffer(t *testing.T) {
	offer := vectorFile(t, "offer.json", vectorOffer)
	byValue, _, err := ParseOffer(offer)
	if err != nil {
		t.Fatal(err)
	}
	uri := vectorFile(t, "offer-by-value.uri", OfferScheme+"://?credential_offer="+url.QueryEscape(offer))
	fromURI, ref, err := ParseOffer(uri)
	if err != nil || ref != "" {
		t.Fatalf("by-value URI: %v %q", err, ref)
	}
	if fromURI.CredentialIssuer != byValue.CredentialIssuer || fromURI.Grants.PreAuthorizedCode.Code != "SplxlOBeZQQYbYS6WxSbIA" || fromURI.Grants.PreAuthorizedCode.TxCode == nil || fromURI.Grants.PreAuthorizedCode.TxCode.Length != 6 {
		t.Errorf("by-value URI parsed to %+v", fromURI)
	}
	refURI := vectorFile(t, "offer-by-reference.uri", OfferScheme+"://?credential_offer_uri="+url.QueryEscape("https://agency.example/offers/o1"))
	if _, ref, err := ParseOffer(refURI); err != nil || ref != "https://agency.example/offers/o1" {
		t.Errorf("by-reference URI: %v %q", err, ref)
	}
}

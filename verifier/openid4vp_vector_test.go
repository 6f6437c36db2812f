package verifier

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
	"github.com/zkcred/zkcred/zkp"
)

var updateVectors = flag.Bool("update", false, "rewrite testdata/openid4vp (TestOpenID4VPResponseVector)")

const vectorDir = "testdata/openid4vp"

// vectorFixture is the fixed setting of testdata/openid4vp: every key from
// a fixed seed, the clock at testEpoch, the nonce from a fixed stream.
type vectorFixture struct {
	agency   *testIssuer
	sigKey   ed25519.PrivateKey
	encKey   *ecdsa.PrivateKey
	resolver did.Resolver
}

func newVectorFixture(t *testing.T) *vectorFixture {
	t.Helper()
	f := &vectorFixture{
		agency: newTestIssuerFrom(t, "agency.example", mrand.NewChaCha8([32]byte{0x11})),
		sigKey: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x07}, 32)),
	}
	var err error
	if f.encKey, err = ecdsa.ParseRawPrivateKey(elliptic.P256(), bytes.Repeat([]byte{0x03}, 32)); err != nil {
		t.Fatal(err)
	}
	vdoc := &did.Document{ID: verifierDID}
	m, err := did.NewMultikeyMethod(verifierDID+"#key-1", verifierDID, f.sigKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := vdoc.AddVerificationMethod(m, did.Authentication); err != nil {
		t.Fatal(err)
	}
	if f.resolver, err = did.NewStaticResolver(f.agency.doc, vdoc); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *vectorFixture) verifier(t *testing.T, store Store, vk *zkp.VerifyingKey, nonces io.Reader) *Verifier {
	t.Helper()
	now := func() time.Time { return testEpoch }
	v, err := New(Config{Store: store, Audience: "https://verifier.example", Resolver: f.resolver,
		Roots: RootSourceFunc(func(context.Context, string) (string, error) { return "", errors.New("agency offline") }),
		Key:   vk, Schemas: []*credential.Schema{testSchema()}, Now: now, Rand: nonces,
		ClientDID: verifierDID, SigningKey: f.sigKey, SigningKeyID: verifierDID + "#key-1",
		EncryptionKey: f.encKey, EncryptionKeyID: "enc-1", BaseURL: "https://verifier.example"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestOpenID4VPResponseVector checks testdata/openid4vp: a direct_post
// response (vp_token of one zkcred-vp-zkp-v1 presentation keyed by the DCQL
// credential query id "pid", carrying the agency's signed revocation root)
// answering the committed Request Object verifies with VerifyResponse under
// the fixed clock and the committed verifying key, and the handover hash of
// that request is handover.txt. The proof is randomized: -update proves
// once (with this binary's Groth16 keys, whose verifying key it commits)
// and rewrites the files.
func TestOpenID4VPResponseVector(t *testing.T) {
	f := newVectorFixture(t)
	ctx := t.Context()
	if *updateVectors {
		store := newBolt(t)
		v := f.verifier(t, store, keys(t).VerifyingKey, mrand.NewChaCha8([32]byte{0x22}))
		ar, err := v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: voteQuery(t, f.agency.did),
			TransactionData: []*openid4vp.TransactionData{ballot("yes")}, ResponseMode: openid4vp.ResponseModeDirectPost})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := store.GetRequest(ctx, ar.ID)
		if err != nil {
			t.Fatal(err)
		}
		secret, err := credential.GenerateHolderSecret(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		h := openid4vp.Held{
			Holding: protocol.Holding{Credential: f.agency.storedFor(t, secret, aliceData), Secret: secret,
				IssuerKey: f.agency.zk.Public(), Revocation: f.agency.tree},
			SignedRoot: f.agency.signedRoot(t),
		}
		resp, err := json.Marshal(&openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": {presentVP(t, h, ar.RequestObject, "pid")}}, State: ar.ID})
		if err != nil {
			t.Fatal(err)
		}
		vk, err := keys(t).VerifyingKey.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		cb, hh := vectorHandover(t, ar.RequestObject)
		for name, b := range map[string][]byte{
			"request_object.jwt": append(stored.Body, '\n'), "response.json": append(resp, '\n'),
			"verifying_key.bin": vk, "handover.txt": fmt.Appendf(nil, "%s\nhash %s\n", cb, hh),
		} {
			if err := os.WriteFile(filepath.Join(vectorDir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(vectorDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	jwt := strings.TrimSpace(string(read("request_object.jwt")))
	vk, err := zkp.ParseVerifyingKey(read("verifying_key.bin"))
	if err != nil {
		t.Fatal(err)
	}
	// The wallet's view: the committed Request Object verifies (kid of the
	// fixed did:web:verifier.example key, fixed clock).
	uri, err := openid4vp.AuthorizationRequestURI(openid4vp.PrefixDecentralizedIdentifier+verifierDID, "https://verifier.example"+OpenID4VPRequestPath+"x")
	if err != nil {
		t.Fatal(err)
	}
	ar, err := openid4vp.ParseAuthorizationRequest(uri, false)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := openid4vp.VerifyRequestObject(ctx, ar, jwt, f.resolver, &openid4vp.VerifyOptions{Now: func() time.Time { return testEpoch }})
	if err != nil {
		t.Fatalf("committed request object: %v", err)
	}
	// The handover hash of credential query pid is handover.txt.
	cb, hh := vectorHandover(t, ro)
	if want := string(read("handover.txt")); fmt.Sprintf("%s\nhash %s\n", cb, hh) != want {
		t.Errorf("handover of the committed request:\n%s\nhash %s\ncommitted:\n%s", cb, hh, want)
	}
	// The verifier's view: a store holding that request (as
	// NewAuthorizationRequest stored it), the committed response.
	nonce, err := base64.RawURLEncoding.DecodeString(ro.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	store := newBolt(t)
	if err := store.CreateRequest(ctx, &StoredRequest{ID: ro.Nonce, Nonce: nonce, Body: []byte(jwt),
		ExpiresAt: time.Unix(ro.ExpiresAt, 0).UTC(), CreatedAt: time.Unix(ro.IssuedAt, 0).UTC()}); err != nil {
		t.Fatal(err)
	}
	var resp openid4vp.Response
	if err := json.Unmarshal(read("response.json"), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.State != ro.State || len(resp.VPToken["pid"]) != 1 {
		t.Fatalf("response.json: state %q, %d presentations for pid", resp.State, len(resp.VPToken["pid"]))
	}
	var pres openid4vp.Presentation
	if err := json.Unmarshal(resp.VPToken["pid"][0], &pres); err != nil {
		t.Fatal(err)
	}
	if pres.Version != openid4vp.PresentationVersionV1 || pres.RevocationRoot == "" {
		t.Fatalf("presentation: version %q, revocation root %q", pres.Version, pres.RevocationRoot)
	}
	v := f.verifier(t, store, vk, nil)
	res, err := v.VerifyResponse(ctx, &resp, false)
	if err != nil {
		t.Fatalf("VerifyResponse of the committed response: %v", err)
	}
	if res.RequestID != ro.Nonce || len(res.Presentations["pid"]) != 1 {
		t.Fatalf("result %+v", res)
	}
	// Single use: the same response again is a replay.
	if _, err := v.VerifyResponse(ctx, &resp, false); !errors.Is(err, ErrReplay) {
		t.Errorf("second VerifyResponse: %v, want ErrReplay", err)
	}
}

// vectorHandover returns the handover v1 canonical bytes and hash (hex) of
// credential query pid of ro, its zkcred request derived with ZKRequest.
func vectorHandover(t *testing.T, ro *openid4vp.RequestObject) ([]byte, string) {
	t.Helper()
	c, err := ro.DCQLQuery.Compile(ro.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	req, err := openid4vp.ZKRequest(ro, c.Credentials[0].Alternatives[0])
	if err != nil {
		t.Fatal(err)
	}
	h := openid4vp.NewHandover(ro, "pid", req)
	cb, err := h.CanonicalBytes()
	if err != nil {
		t.Fatal(err)
	}
	hh, err := openid4vp.HandoverHash(h)
	if err != nil {
		t.Fatal(err)
	}
	return cb, hh.Text(16)
}

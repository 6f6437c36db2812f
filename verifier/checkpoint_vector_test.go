package verifier

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	mrand "math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/credential/status/tlog/witness"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
	"github.com/zkcred/zkcred/zkp"
)

const vectorV2Dir = "testdata/openid4vp-v2"

// vectorWitness is the fixed witness of testdata/openid4vp-v2.
func vectorWitness(t *testing.T) (ed25519.PrivateKey, *tlog.WitnessKey) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x05}, 32))
	k, err := tlog.NewWitnessKey("witness.example", priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return priv, k
}

// noTiles is a tile getter that must not be called: the vector's
// checkpoint is the first the verifier sees (stored as is).
type noTiles struct{ t *testing.T }

func (n noTiles) Get(context.Context, string, string) (*fetch.Response, error) {
	n.t.Error("the verifier fetched a tile")
	return nil, errors.New("no tiles here")
}

// TestOpenID4VPResponseVectorV2 checks testdata/openid4vp-v2: the same
// setting and Request Object as testdata/openid4vp, answered with a
// zkcred-vp-zkp-v2 presentation carrying the agency's revocation
// checkpoint (size 0, signed with its #jose-1 Ed25519 key, cosigned by
// witness.example, seed 32 × 0x05, both at the fixed clock): it verifies
// with VerifyResponse for a verifier taking checkpoints only (witness
// quorum 1, no signed roots), which stores the checkpoint. checkpoint.txt
// is the note alone, stable across -update; the proof is randomized.
func TestOpenID4VPResponseVectorV2(t *testing.T) {
	f := newVectorFixture(t)
	ctx := t.Context()
	wpriv, wkey := vectorWitness(t)
	now := func() time.Time { return testEpoch }
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
		// The agency's log, cosigned by the witness over loopback TLS.
		origin, _ := tlog.RevocationOrigin(f.agency.did)
		logKey, _ := tlog.NewLogKey(origin, f.agency.jose.Public().(ed25519.PublicKey))
		ws, err := witness.OpenStore(filepath.Join(t.TempDir(), "w.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		w, err := witness.New(witness.Config{Name: wkey.Name(), Key: wpriv, Logs: []*tlog.LogKey{logKey}, Store: ws, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewTLSServer(w.Handler())
		defer srv.Close()
		pool := x509.NewCertPool()
		pool.AddCert(srv.Certificate())
		fc, _ := fetch.New(&fetch.Config{TLSConfig: &tls.Config{RootCAs: pool}, InsecureAllowPrivateAddresses: true})
		lw, err := tlog.OpenWriter(ctx, tlog.WriterConfig{Dir: t.TempDir(), Origin: origin, Kind: tlog.KindRevocation,
			Key: f.agency.jose, Depth: testShape.RevocationDepth, HTTP: fc, Now: now,
			Witnesses: []tlog.WitnessEndpoint{{Key: wkey, URL: srv.URL + "/add-checkpoint"}}})
		if err != nil {
			t.Fatal(err)
		}
		note := lw.Checkpoint().Note
		secret, err := credential.GenerateHolderSecret(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		h := openid4vp.Held{Holding: protocol.Holding{Credential: f.agency.storedFor(t, secret, aliceData), Secret: secret,
			IssuerKey: f.agency.zk.Public(), Revocation: f.agency.tree}, Checkpoint: note}
		p1 := presentVP(t, h, ar.RequestObject, "pid") // a v1 value: carry the checkpoint instead
		var pres openid4vp.Presentation
		if err := json.Unmarshal(p1, &pres); err != nil {
			t.Fatal(err)
		}
		pres.Version, pres.RevocationRoot, pres.Checkpoint = openid4vp.PresentationVersion, "", string(note)
		p2, _ := json.Marshal(&pres)
		resp, _ := json.Marshal(&openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": {p2}}, State: ar.ID})
		vk, err := keys(t).VerifyingKey.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(vectorV2Dir, 0o755)
		for name, b := range map[string][]byte{
			"request_object.jwt": append(stored.Body, '\n'), "response.json": append(resp, '\n'),
			"verifying_key.bin": vk, "checkpoint.txt": note,
		} {
			if err := os.WriteFile(filepath.Join(vectorV2Dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(vectorV2Dir, name))
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
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var ro openid4vp.RequestObject
	if err := ro.UnmarshalJSON(payload); err != nil {
		t.Fatal(err)
	}
	nonce, _ := base64.RawURLEncoding.DecodeString(ro.Nonce)
	store := newBolt(t)
	if err := store.CreateRequest(ctx, &StoredRequest{ID: ro.Nonce, Nonce: nonce, Body: []byte(jwt),
		ExpiresAt: time.Unix(ro.ExpiresAt, 0).UTC(), CreatedAt: time.Unix(ro.IssuedAt, 0).UTC()}); err != nil {
		t.Fatal(err)
	}
	var resp openid4vp.Response
	if err := json.Unmarshal(read("response.json"), &resp); err != nil {
		t.Fatal(err)
	}
	var pres openid4vp.Presentation
	if err := json.Unmarshal(resp.VPToken["pid"][0], &pres); err != nil {
		t.Fatal(err)
	}
	note := read("checkpoint.txt")
	if pres.Version != openid4vp.PresentationVersion || pres.Checkpoint != string(note) || pres.RevocationRoot != "" {
		t.Fatalf("presentation: version %q, checkpoint %q", pres.Version, pres.Checkpoint)
	}
	v, err := New(Config{Store: store, Audience: "https://verifier.example", Resolver: f.resolver,
		Log: &LogPolicy{Witnesses: []*tlog.WitnessKey{wkey}, Quorum: 1, Tiles: noTiles{t}},
		Key: vk, Schemas: []*credential.Schema{testSchema()}, Now: now,
		ClientDID: verifierDID, SigningKey: f.sigKey, SigningKeyID: verifierDID + "#key-1",
		EncryptionKey: f.encKey, EncryptionKeyID: "enc-1", BaseURL: "https://verifier.example"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.VerifyResponse(ctx, &resp, false)
	if err != nil {
		t.Fatalf("VerifyResponse of the committed v2 response: %v", err)
	}
	if len(res.Presentations["pid"]) != 1 {
		t.Fatalf("result %+v", res)
	}
	if got, _ := store.LatestCheckpoint(ctx, f.agency.did); !bytes.Equal(got, note) {
		t.Errorf("stored checkpoint\n%s", got)
	}
	if _, err := v.VerifyResponse(ctx, &resp, false); !errors.Is(err, ErrReplay) {
		t.Errorf("second VerifyResponse: %v, want ErrReplay", err)
	}
}

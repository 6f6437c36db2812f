package issuer

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status/registry"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"

	"github.com/zkcred/zkcred/credential/openid4vci"
)

const agencyDID = "did:example:agency"

// testClock is a settable clock, starting at the real time.
type testClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// env is an issuer on a loopback TLS server and a wallet that trusts it.
type env struct {
	is       *Issuer
	srv      *httptest.Server
	url      string
	clock    *testClock
	register *MemoryRegister
	wallet   *openid4vci.Wallet
	fetch    *fetch.Client
	resolver *did.StaticResolver
}

// citizen is a valid register record of the person schema.
func citizen(id string) Record {
	return Record{ID: id, Values: map[string]any{
		"birthDate": "1990-05-17", "district": "07", "nationality": "DE", "vehicleCategory": "B",
		"vehicleRegistered": true, "voterEligible": true, "residentSince": "2015-06-01",
	}}
}

var testRules = Rules{PastDates: []string{"birthDate", "residentSince"}, Allowed: map[string][]string{"district": {"01", "07", "12"}}}

// issuerKeys returns a fixed issuer and a resolver for its DID.
func issuerKeys(t testing.TB) (*credential.Issuer, *did.StaticResolver) {
	t.Helper()
	jose := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	zk, err := credential.NewZKPrivateKey(bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	doc := &did.Document{ID: agencyDID}
	for _, m := range []struct {
		id  string
		pub any
	}{{agencyDID + "#jose-1", jose.Public()}, {agencyDID + "#zk-1", zk.Public()}} {
		vm, err := did.NewMultikeyMethod(m.id, agencyDID, m.pub)
		if err != nil {
			t.Fatal(err)
		}
		if err := doc.AddVerificationMethod(vm, did.AssertionMethod); err != nil {
			t.Fatal(err)
		}
	}
	r, err := did.NewStaticResolver(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &credential.Issuer{DID: agencyDID, JOSEKey: jose, JOSEKeyID: agencyDID + "#jose-1", ZKKey: zk, ZKKeyID: agencyDID + "#zk-1"}, r
}

// newEnv starts an issuer (register: citizen-1 .. citizen-3 valid) on
// loopback TLS; mod may change the config.
func newEnv(t testing.TB, register Register, mod func(*Config)) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{clock: &testClock{}}
	if register == nil {
		m, err := NewMemoryRegister(citizen("citizen-1"), citizen("citizen-2"), citizen("citizen-3"))
		if err != nil {
			t.Fatal(err)
		}
		e.register, register = m, m
	}
	iss, res := issuerKeys(t)
	e.resolver = res
	store, err := registry.OpenBoltStore(filepath.Join(dir, "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg, err := registry.Open(store, registry.Config{Depth: 8, Issuer: agencyDID, KeyID: agencyDID + "#jose-1", Signer: iss.JOSEKey})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewUnstartedServer(nil)
	e.url = "https://" + e.srv.Listener.Addr().String()
	cfg := Config{
		CredentialIssuer: e.url, Issuer: iss, Schema: credential.PersonSchema(),
		Types:             []string{"ZkcredPersonCredential"},
		Display:           []openid4vci.Display{{Name: "Agency", Locale: "en"}},
		CredentialDisplay: []openid4vci.Display{{Name: "Person credential", Locale: "en"}},
		ClaimDisplay:      map[string][]openid4vci.Display{"birthDate": {{Name: "Date of birth", Locale: "en"}}},
		Register:          register, Rules: testRules, Registry: reg,
		StatusList: "revocation", StatusListURL: e.url + "/status/revocation",
		StorePath: filepath.Join(dir, "issuer.db"), Clock: e.clock.now,
	}
	if mod != nil {
		mod(&cfg)
	}
	if e.is, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.is.Close() })
	e.srv.Config.Handler = e.is.Handler()
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(e.srv.Certificate())
	if e.fetch, err = fetch.New(&fetch.Config{TLSConfig: &tls.Config{RootCAs: roots}, InsecureAllowPrivateAddresses: true}); err != nil {
		t.Fatal(err)
	}
	if e.wallet, err = openid4vci.NewWallet(openid4vci.WalletConfig{Fetch: e.fetch, Resolver: res}); err != nil {
		t.Fatal(err)
	}
	return e
}

// session creates an offer for id and starts a wallet session on it.
func (e *env) session(t testing.TB, id string) (*Offer, *openid4vci.Session) {
	t.Helper()
	ctx := context.Background()
	o, err := e.is.CreateOffer(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	offer, err := e.wallet.Offer(ctx, o.URI)
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.wallet.Start(ctx, offer)
	if err != nil {
		t.Fatal(err)
	}
	return o, s
}

func newSecret(t testing.TB) *credential.HolderSecret {
	t.Helper()
	s, err := credential.GenerateHolderSecret(randReader{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// decodeAnswer returns the *openid4vci.ServerError of an error answer, as
// the wallet makes it, or nil for a 200.
func decodeAnswer(resp *fetch.Response) error {
	if resp.StatusCode == 200 {
		return nil
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(resp.Body, &e); err != nil {
		return err
	}
	return &openid4vci.ServerError{Status: resp.StatusCode, Code: e.Error, Description: e.Description}
}

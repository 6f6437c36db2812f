package issuer

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/credential/status/registry"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
)

// TestInterop runs a maintained third-party OpenID4VCI client, the
// OpenWallet Foundation's @openid4vc/openid4vci (version pinned in
// testdata/interop/package-lock.json), against our issuer on loopback TLS:
// it fetches and validates the Credential Issuer and Authorization Server
// metadata, parses offers by value and by reference, redeems one at the
// token endpoint (a wrong tx_code and a reused code are invalid_grant, the
// right one gives an access token) and asks the nonce endpoint for a
// c_nonce. It skips when node or the npm packages are not installed.
// testdata/interop/README.md records what passes.
func TestInterop(t *testing.T) {
	node := nodeInterop(t)

	srv := httptest.NewUnstartedServer(nil)
	issuerURL := "https://" + srv.Listener.Addr().String()
	is := newInteropIssuer(t, issuerURL)
	srv.Config.Handler = is.Handler()
	caFile := startTLS(t, srv)

	redeem, err := is.CreateOffer(t.Context(), "citizen-1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := is.CreateOffer(t.Context(), "citizen-1")
	if err != nil {
		t.Fatal(err)
	}
	offers := []string{redeem.URI, redeem.ValueURI, other.URI, other.ValueURI}
	wrong := "0" + redeem.TxCode[1:]
	if wrong == redeem.TxCode {
		wrong = "1" + redeem.TxCode[1:]
	}
	args := []string{"-issuer", issuerURL, "-redeem", redeem.URI, "-tx-code", redeem.TxCode, "-wrong-tx-code", wrong}
	for _, o := range offers {
		args = append(args, "-offer", o)
	}
	res := runInterop(t, node, caFile, args...)

	want := []string{"issuer_metadata", "issuer_metadata_version_1_0", "authorization_server_metadata",
		"token_wrong_tx_code_invalid_grant", "token", "token_reused_code_invalid_grant", "nonce"}
	for i, o := range offers {
		want = append(want, offerKind(i, o))
	}
	checkSteps(t, res, want...)
}

// TestInteropReverse runs our wallet client against a third-party issuer:
// testdata/interop/issuer.mjs, an HTTP server whose protocol work is done
// by @openid4vc/openid4vci's Openid4vciIssuer and @openid4vc/oauth2's
// Oauth2AuthorizationServer. Our [openid4vci.Wallet] parses its offers (by
// value and by reference), reads its metadata, redeems the code (a wrong
// PIN is refused), gets a c_nonce and requests the credential with a key
// proof the library verifies as a standard jwt proof. The credential
// itself was issued beforehand by the test for the wallet's commitment (a
// third-party issuer cannot sign a zkcred credential); the wallet checks
// it as it would any other. It skips when node or the npm packages are
// not installed.
func TestInteropReverse(t *testing.T) {
	node := nodeInterop(t)

	// The credential the third-party issuer hands out.
	secret, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const id = "did:web:agency.example"
	_, joseKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	seed := make([]byte, credential.ZKPrivateKeySize)
	rand.Read(seed)
	zkKey, err := credential.NewZKPrivateKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	doc := &did.Document{Context: []any{did.ContextDIDv1}, ID: id}
	for _, k := range []struct {
		id  string
		pub any
	}{{id + "#jose-1", joseKey.Public()}, {id + "#zk-1", zkKey.Public()}} {
		vm, err := did.NewMultikeyMethod(k.id, id, k.pub)
		if err != nil {
			t.Fatal(err)
		}
		if err := doc.AddVerificationMethod(vm, did.AssertionMethod); err != nil {
			t.Fatal(err)
		}
	}
	resolver, err := did.NewStaticResolver(doc)
	if err != nil {
		t.Fatal(err)
	}
	iss := &credential.Issuer{DID: id, JOSEKey: joseKey, JOSEKeyID: id + "#jose-1", ZKKey: zkKey, ZKKeyID: id + "#zk-1"}
	st, err := iss.Issue(credential.IssueRequest{
		ID: "urn:uuid:6f1c1d3e-2b7a-4c55-9d0e-0a4b8c1f2e3d", Schema: credential.PersonSchema(),
		Values: map[string]any{"birthDate": "1990-05-17", "district": "07", "nationality": "DE", "vehicleCategory": "B",
			"vehicleRegistered": true, "voterEligible": true, "residentSince": "2015-06-01"},
		HolderCommitment: secret.Commitment(), ValidUntil: time.Now().Add(time.Hour), RevocationID: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	stJSON, err := st.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	credFile := filepath.Join(t.TempDir(), "credential.json")
	if err := os.WriteFile(credFile, stJSON, 0o600); err != nil {
		t.Fatal(err)
	}

	// The third-party issuer.
	const pin = "493817"
	cmd := exec.Command(node, "issuer.mjs", "-credential", credFile, "-tx-code", pin)
	cmd.Dir = interopDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("issuer.mjs stderr:\n%s", stderr.String())
		}
	})
	var started struct {
		Issuer        string `json:"issuer"`
		OfferURI      string `json:"offer_uri"`
		OfferValueURI string `json:"offer_value_uri"`
	}
	lines := make(chan error, 1)
	go func() { lines <- json.NewDecoder(out).Decode(&started) }()
	select {
	case err := <-lines:
		if err != nil {
			if strings.Contains(stderr.String(), "cannot load") {
				t.Skipf("interop: the npm packages do not load: %s", stderr.String())
			}
			t.Fatalf("issuer.mjs did not start: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("issuer.mjs did not start:\n%s", stderr.String())
	}

	// Our wallet, with the policy holder -insecure-local uses (loopback http).
	fc, err := fetch.New(&fetch.Config{InsecureAllowHTTP: true, InsecureAllowPrivateAddresses: true})
	if err != nil {
		t.Fatal(err)
	}
	w, err := openid4vci.NewWallet(openid4vci.WalletConfig{Fetch: fc, Resolver: resolver})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	pass := func(step string, err error) bool {
		t.Helper()
		if err != nil {
			t.Errorf("FAIL %s: %v", step, err)
			return false
		}
		t.Logf("PASS %s", step)
		return true
	}
	byValue, err := w.Offer(ctx, started.OfferValueURI)
	if pass("wallet_offer_by_value", err) && (byValue.CredentialIssuer != started.Issuer || byValue.Grants.PreAuthorizedCode == nil || byValue.Grants.PreAuthorizedCode.TxCode == nil) {
		t.Errorf("offer by value: %+v", byValue)
	}
	offer, err := w.Offer(ctx, started.OfferURI)
	if !pass("wallet_offer_by_reference", err) {
		return
	}
	s, err := w.Start(ctx, offer)
	if !pass("wallet_metadata", err) {
		return
	}
	err = w.Redeem(ctx, s, "000000")
	if !errors.Is(err, openid4vci.ErrInvalidGrant) {
		t.Errorf("FAIL wallet_token_wrong_pin: %v, want invalid_grant", err)
	} else {
		t.Logf("PASS wallet_token_wrong_pin (%v)", err)
	}
	if !pass("wallet_token", w.Redeem(ctx, s, pin)) {
		return
	}
	_, err = w.Nonce(ctx, s)
	pass("wallet_nonce", err)
	got, err := w.RequestCredential(ctx, s, secret)
	if pass("wallet_credential", err) {
		b, _ := got.MarshalJSON()
		if !bytes.Equal(b, stJSON) {
			t.Errorf("the wallet stored another credential than the issuer sent")
		}
	}

	// What the third-party issuer saw.
	res, err := fc.Get(ctx, started.Issuer+"/_result", "application/json")
	if err != nil {
		t.Fatal(err)
	}
	var result interopResult
	if err := json.Unmarshal(res.Body, &result); err != nil {
		t.Fatalf("issuer.mjs /_result: %v\n%s", err, res.Body)
	}
	checkSteps(t, &result, "serve_issuer_metadata", "serve_as_metadata", "serve_offer_by_reference",
		"token_refused_invalid_grant", "token", "nonce", "proof_verified", "credential")
	for _, st := range result.Steps {
		if st.Name == "proof_verified" && !bytes.Contains(st.Detail, []byte(`"commitment_matches":true`)) {
			t.Errorf("the key proof's %s claim is not the credential's commitment: %s", openid4vci.CommitmentClaim, st.Detail)
		}
	}
}

// newInteropIssuer returns an issuer at issuerURL (did:web of its host)
// whose register holds citizen-1.
func newInteropIssuer(t *testing.T, issuerURL string) *Issuer {
	t.Helper()
	dir := t.TempDir()
	host := strings.TrimPrefix(issuerURL, "https://")
	id, err := did.WebDID(host)
	if err != nil {
		t.Fatal(err)
	}
	_, joseKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	seed := make([]byte, credential.ZKPrivateKeySize)
	rand.Read(seed)
	zkKey, err := credential.NewZKPrivateKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	store, err := registry.OpenBoltStore(filepath.Join(dir, "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg, err := registry.Open(store, registry.Config{Depth: 6, Issuer: id, KeyID: id + "#jose-1", Signer: joseKey})
	if err != nil {
		t.Fatal(err)
	}
	register, err := NewMemoryRegister(Record{ID: "citizen-1", Values: map[string]any{
		"birthDate": "1990-05-17", "district": "07", "nationality": "DE", "vehicleCategory": "B",
		"vehicleRegistered": true, "voterEligible": true, "residentSince": "2015-06-01",
	}})
	if err != nil {
		t.Fatal(err)
	}
	is, err := New(Config{
		CredentialIssuer: issuerURL,
		Issuer: &credential.Issuer{DID: id, JOSEKey: joseKey, JOSEKeyID: id + "#jose-1",
			ZKKey: zkKey, ZKKeyID: id + "#zk-1"},
		Schema:            credential.PersonSchema(),
		Types:             []string{"ZkcredPersonCredential"},
		Display:           []openid4vci.Display{{Name: "Agency", Locale: "en"}},
		CredentialDisplay: []openid4vci.Display{{Name: "Person credential", Locale: "en"}},
		Register:          register,
		Registry:          reg,
		StorePath:         filepath.Join(dir, "issuer.db"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { is.Close() })
	return is
}

// interopDir holds the Node script and its pinned npm packages
// (testdata/interop/README.md). .ci/run runs npm ci there; the test never
// installs anything itself.
const interopDir = "testdata/interop"

// interopResult is what interop.mjs prints.
type interopResult struct {
	Library string `json:"library"`
	Version string `json:"version"`
	Node    string `json:"node"`
	Passed  bool   `json:"passed"`
	Steps   []struct {
		Name     string          `json:"name"`
		OK       bool            `json:"ok"`
		Detail   json.RawMessage `json:"detail"`
		Error    string          `json:"error"`
		Requests json.RawMessage `json:"requests"`
	} `json:"steps"`
}

// nodeInterop returns the node binary, or skips the test saying what is
// missing.
func nodeInterop(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("interop: node is not installed (.ci/run installs the Debian nodejs package); skipping the third-party OpenID4VCI client test")
	}
	lib := filepath.Join(interopDir, "node_modules", "@openid4vc", "openid4vci", "package.json")
	if _, err := os.Stat(lib); err != nil {
		t.Skipf("interop: %s is missing: run `npm ci` in credential/openid4vci/%s (.ci/run does); skipping the third-party OpenID4VCI client test", lib, interopDir)
	}
	return node
}

// startTLS starts srv with TLS on loopback and writes its certificate
// where Node reads extra roots from (NODE_EXTRA_CA_CERTS): the library
// refuses http:// issuers, as the spec requires https.
func startTLS(t *testing.T, srv *httptest.Server) (caFile string) {
	t.Helper()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, p, 0o600); err != nil {
		t.Fatal(err)
	}
	return caFile
}

// runInterop runs interop.mjs with args and returns its parsed result.
func runInterop(t *testing.T, node, caFile string, args ...string) *interopResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{"interop.mjs"}, args...)...)
	cmd.Dir = interopDir
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+caFile, "NODE_OPTIONS=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		t.Skipf("interop: the npm packages do not load (run npm ci in credential/openid4vci/%s): %s", interopDir, stderr.String())
	}
	if err != nil {
		t.Fatalf("node interop.mjs: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	var res interopResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("interop.mjs output: %v\n%s", err, stdout.String())
	}
	t.Logf("third-party client %s@%s on node %s", res.Library, res.Version, res.Node)
	return &res
}

// checkSteps fails the test for every step of res that did not pass, and
// for every name in want that the script did not run.
func checkSteps(t *testing.T, res *interopResult, want ...string) {
	t.Helper()
	ran := map[string]bool{}
	for _, s := range res.Steps {
		ran[s.Name] = true
		if s.OK {
			var detail bytes.Buffer
			json.Compact(&detail, s.Detail)
			t.Logf("PASS %s %s", s.Name, detail.Bytes())
			continue
		}
		t.Errorf("FAIL %s: %s\nrequests: %s", s.Name, s.Error, s.Requests)
	}
	for _, name := range want {
		if !ran[name] {
			t.Errorf("step %s did not run", name)
		}
	}
	if !res.Passed && !t.Failed() {
		t.Error("interop.mjs reports a failure")
	}
}

// offerKind names the step interop.mjs gives the i-th -offer.
func offerKind(i int, uri string) string {
	kind := "unknown"
	switch {
	case strings.Contains(uri, "credential_offer_uri="):
		kind = "by_reference"
	case strings.Contains(uri, "credential_offer="):
		kind = "by_value"
	}
	return "offer_" + string(rune('0'+i)) + "_" + kind
}

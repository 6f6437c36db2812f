package openid4vp_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/verifier/protocol/dcql"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// The interoperability tests run the OpenWallet Foundation's
// @openid4vc/openid4vp 0.4.6 (and dcql 3.0.0 for dcql_query), pinned in
// testdata/interop (`npm ci` there, as .ci/run does), in both directions;
// testdata/interop/README.md records what passes. They skip without node
// or node_modules.

const (
	interopDir   = "testdata/interop"
	interopQuery = "../dcql/testdata/queries/ballot.json" // credential query id "voter"
	interopDID   = "did:web:verifier.example"
	interopResp  = "https://verifier.example/openid4vp/response"
)

func interopNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("interop: node is not installed (.ci/run installs the Debian nodejs package); skipping the third-party OpenID4VP test")
	}
	for _, lib := range []string{"@openid4vc/openid4vp", "dcql"} {
		p := filepath.Join(interopDir, "node_modules", lib, "package.json")
		if _, err := os.Stat(p); err != nil {
			t.Skipf("interop: %s is missing: run `npm ci` in verifier/protocol/openid4vp/%s (.ci/run does); skipping the third-party OpenID4VP test", p, interopDir)
		}
	}
	return node
}

// runNode runs a script of testdata/interop and decodes its JSON output.
// mustPayload returns the decoded payload of a compact JWS.
func mustPayload(t *testing.T, compact string) []byte {
	t.Helper()
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %.40q", compact)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func runNode(t *testing.T, node, caFile string, out any, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = interopDir
	cmd.Env = append(os.Environ(), "NODE_OPTIONS=")
	if caFile != "" {
		cmd.Env = append(cmd.Env, "NODE_EXTRA_CA_CERTS="+caFile)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		t.Skipf("interop: the npm packages do not load (run npm ci in verifier/protocol/openid4vp/%s): %s", interopDir, stderr.String())
	}
	if err != nil {
		t.Fatalf("node %v: %v\nstderr:\n%s\nstdout:\n%s", args, err, stderr.String(), stdout.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("node %v output: %v\n%s", args, err, stdout.String())
	}
}

// tlsServer starts h on loopback TLS and writes its certificate for Node
// (NODE_EXTRA_CA_CERTS): the library fetches only https request_uris.
func tlsServer(t *testing.T, h http.Handler) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, p, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, caFile
}

func interopDCQL(t *testing.T) *dcql.Query {
	t.Helper()
	b, err := os.ReadFile(interopQuery)
	if err != nil {
		t.Fatal(err)
	}
	q, err := dcql.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func interopNonce(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

type walletStep struct {
	Name   string          `json:"name"`
	OK     bool            `json:"ok"`
	Detail json.RawMessage `json:"detail"`
	Error  string          `json:"error"`
	Issues []struct {
		Path    []any  `json:"path"`
		Message string `json:"message"`
	} `json:"issues"`
}

type walletResult struct {
	Library, Version, Node string
	Steps                  []walletStep
}

// TestInteropWallet is direction 1: the third-party library, as a Wallet,
// parses our openid4vp:// URI, fetches our Request Object from request_uri
// over loopback TLS, verifies its signature through the verifier's DID
// document (handed to its resolver callback), checks the client identifier
// prefix, response mode, client_metadata and transaction_data; the OWF dcql
// library reads dcql_query. Every standard step must pass; the known
// deviations are asserted as such (dcql_query_as_is: the dcql library closes
// "format" to the five registered formats, so our zkcred_zkp is refused
// there and only there; with it and the zkcred_did trusted authority type
// replaced, the query validates).
func TestInteropWallet(t *testing.T) {
	node := interopNode(t)
	signKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	kid := interopDID + "#key-1"
	doc := &did.Document{ID: interopDID}
	vm, err := did.NewMultikeyMethod(kid, interopDID, signKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.AddVerificationMethod(vm, did.Authentication); err != nil {
		t.Fatal(err)
	}
	static, err := did.NewStaticResolver(doc)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := json.Marshal(map[string]*did.Document{interopDID: doc})
	if err != nil {
		t.Fatal(err)
	}
	didsFile := filepath.Join(t.TempDir(), "dids.json")
	if err := os.WriteFile(didsFile, docs, 0o600); err != nil {
		t.Fatal(err)
	}
	encPriv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	encJWK, err := openid4vp.EncryptionJWK(&encPriv.PublicKey, "enc-1")
	if err != nil {
		t.Fatal(err)
	}
	ballot, err := (&openid4vp.TransactionData{Type: openid4vp.TypeBallot, CredentialIDs: []string{"voter"}, BallotID: "referendum-2026-12", Choice: "yes"}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	consent, err := (&openid4vp.TransactionData{Type: openid4vp.TypeConsent, CredentialIDs: []string{"voter"}, Text: "I cast my vote in the referendum of December 2026."}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	formats := map[string]json.RawMessage{"zkcred_zkp": json.RawMessage(`{"zkcred_profiles":["zkcred-dcql-predicates-v1"]}`)}

	var (
		mu           sync.Mutex
		jwt, jwtIssC string
	)
	srv, caFile := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method != http.MethodGet || r.URL.Path != "/openid4vp/request/1" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", openid4vp.RequestObjectMediaType)
		if r.URL.Query().Get("iss") == "client_id" {
			w.Write([]byte(jwtIssC))
			return
		}
		w.Write([]byte(jwt))
	}))
	requestURI := srv.URL + "/openid4vp/request/1"

	now := time.Now()
	signed := &openid4vp.RequestObject{
		Audience: openid4vp.StaticAudience, ClientID: openid4vp.PrefixDecentralizedIdentifier + interopDID,
		ResponseType: openid4vp.ResponseTypeVPToken, ResponseMode: openid4vp.ResponseModeDirectPostJWT,
		ResponseURI: interopResp, Nonce: interopNonce(t), State: interopNonce(t), DCQLQuery: interopDCQL(t),
		ClientMetadata: &openid4vp.ClientMetadata{
			JWKS:                                &openid4vp.JWKS{Keys: []did.JWK{encJWK}},
			EncryptedResponseEncValuesSupported: []string{openid4vp.EncA128GCM},
			VPFormatsSupported:                  formats,
		},
		TransactionData: []string{ballot, consent},
		IssuedAt:        now.Unix(), ExpiresAt: now.Add(5 * time.Minute).Unix(),
	}
	jwtSigned, err := openid4vp.SignRequestObject(signed, signKey, kid, false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mustPayload(t, jwtSigned)), `"iss"`) {
		t.Fatalf("SignRequestObject emitted iss: %s", mustPayload(t, jwtSigned))
	}
	signedURI, err := openid4vp.AuthorizationRequestURI(signed.ClientID, requestURI)
	if err != nil {
		t.Fatal(err)
	}
	// The former profile's form, kept as a regression record: the same
	// Request Object with iss = the full client_id (our wallet still
	// accepts it), signed by hand as SignRequestObject signs.
	withIss := *signed
	withIss.Issuer = signed.ClientID
	payload, err := json.Marshal(&withIss)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: signKey},
		(&jose.SignerOptions{}).WithType(openid4vp.RequestObjectType).WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	jwtWithIss, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	jwt, jwtIssC = jwtSigned, jwtWithIss
	mu.Unlock()
	// Our own wallet accepts both.
	ar, err := openid4vp.ParseAuthorizationRequest(signedURI, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range []string{jwtSigned, jwtWithIss} {
		if _, err := openid4vp.VerifyRequestObject(context.Background(), ar, j, static, nil); err != nil {
			t.Fatalf("our wallet refuses the request object: %v", err)
		}
	}

	unsigned := &openid4vp.RequestObject{
		ClientID: openid4vp.PrefixRedirectURI + interopResp, ResponseType: openid4vp.ResponseTypeVPToken,
		ResponseMode: openid4vp.ResponseModeDirectPost, ResponseURI: interopResp, Nonce: interopNonce(t),
		DCQLQuery: interopDCQL(t), ClientMetadata: &openid4vp.ClientMetadata{VPFormatsSupported: formats},
		TransactionData: []string{ballot},
	}
	unsignedURI, err := unsigned.ByValueURI(false)
	if err != nil {
		t.Fatal(err)
	}
	issURI, err := openid4vp.AuthorizationRequestURI(signed.ClientID, requestURI+"?iss=client_id")
	if err != nil {
		t.Fatal(err)
	}

	// Library limitation, recorded: with iss = the full client_id
	// ("decentralized_identifier:did:web:…") the library refuses the
	// Request Object before checking its signature: it compares iss with
	// the DID of kid as if iss were a bare DID ("kid in header starts with
	// did that is different from did value in 'iss'"). SignRequestObject
	// therefore emits no iss (optional in RFC 9101 and OpenID4VP 1.0).
	t.Run("signed_request_uri_iss_client_id", func(t *testing.T) {
		var res walletResult
		runNode(t, node, caFile, &res, "wallet.mjs", "-uri", issURI, "-dids", didsFile)
		steps := map[string]walletStep{}
		for _, s := range res.Steps {
			steps[s.Name] = s
			t.Logf("step %s ok=%v %s", s.Name, s.OK, s.Error)
		}
		if !steps["parse_uri"].OK {
			t.Errorf("parse_uri: %s", steps["parse_uri"].Error)
		}
		if r := steps["resolve"]; r.OK || !strings.Contains(r.Error, "different from did value in 'iss'") {
			t.Errorf("resolve: want the recorded iss limitation, got ok=%v %s (if the library now accepts iss = client_id, update testdata/interop/README.md)", r.OK, r.Error)
		}
	})

	for _, c := range []struct {
		name, uri string
		want      []string // standard steps that must all pass
	}{
		{"signed_request_uri", signedURI, []string{"parse_uri", "resolve", "version_1_0", "fetch_request_object",
			"request_object_signature", "client_id_prefix", "response_mode", "client_metadata", "transaction_data"}},
		{"unsigned_redirect_uri", unsignedURI, []string{"parse_uri", "resolve", "version_1_0", "client_id_prefix",
			"response_mode", "client_metadata", "transaction_data"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var res walletResult
			runNode(t, node, caFile, &res, "wallet.mjs", "-uri", c.uri, "-dids", didsFile)
			t.Logf("third-party wallet %s@%s on node %s", res.Library, res.Version, res.Node)
			steps := map[string]walletStep{}
			for _, s := range res.Steps {
				steps[s.Name] = s
				t.Logf("step %s ok=%v %s", s.Name, s.OK, s.Error)
			}
			for _, name := range c.want {
				s, ok := steps[name]
				switch {
				case !ok:
					t.Errorf("step %s did not run", name)
				case !s.OK:
					t.Errorf("step %s failed: %s", name, s.Error)
				}
			}
			// Known deviation: the dcql library refuses zkcred_zkp at
			// "format", and nowhere else.
			as := steps["dcql_query_as_is"]
			if as.OK || len(as.Issues) == 0 {
				t.Errorf("dcql_query_as_is: want refused at format only (a closed format list), got ok=%v %s", as.OK, as.Error)
			}
			for _, is := range as.Issues {
				if len(is.Path) < 3 || is.Path[0] != "credentials" || is.Path[len(is.Path)-1] != "format" {
					t.Errorf("dcql_query_as_is: issue outside format: %v %s", is.Path, is.Message)
				}
			}
			sub := steps["dcql_query_substituted"]
			if !sub.OK {
				t.Fatalf("dcql_query_substituted: %s %v", sub.Error, sub.Issues)
			}
			// The library kept the standard members and dropped zkcred_*.
			if strings.Contains(string(sub.Detail), "zkcred_predicate") {
				t.Errorf("dcql library kept zkcred_predicate: %s", sub.Detail)
			}
			var out struct {
				Credentials []struct {
					ID     string `json:"id"`
					Claims []struct {
						Path   []any `json:"path"`
						Values []any `json:"values"`
					} `json:"claims"`
				} `json:"credentials"`
			}
			if err := json.Unmarshal(sub.Detail, &out); err != nil {
				t.Fatal(err)
			}
			q := interopDCQL(t)
			if len(out.Credentials) != len(q.Credentials) {
				t.Fatalf("dcql library returned %d credential queries, want %d", len(out.Credentials), len(q.Credentials))
			}
			for i, cq := range q.Credentials {
				if out.Credentials[i].ID != cq.ID || len(out.Credentials[i].Claims) != len(cq.Claims) {
					t.Errorf("credential query %d: library returned id %q with %d claims, want %q with %d", i, out.Credentials[i].ID, len(out.Credentials[i].Claims), cq.ID, len(cq.Claims))
				}
			}
			// What the library read is what we sent.
			var r struct {
				Payload struct {
					ClientID        string   `json:"client_id"`
					Nonce           string   `json:"nonce"`
					TransactionData []string `json:"transaction_data"`
				} `json:"payload"`
			}
			if err := json.Unmarshal(steps["resolve"].Detail, &r); err != nil {
				t.Fatal(err)
			}
			ro := signed
			if c.name == "unsigned_redirect_uri" {
				ro = unsigned
			}
			if r.Payload.ClientID != ro.ClientID || r.Payload.Nonce != ro.Nonce || !slices.Equal(r.Payload.TransactionData, ro.TransactionData) {
				t.Errorf("library read client_id %q nonce %q transaction_data %v, want %q %q %v", r.Payload.ClientID, r.Payload.Nonce, r.Payload.TransactionData, ro.ClientID, ro.Nonce, ro.TransactionData)
			}
		})
	}
}

type verifierResult struct {
	Library, Version, Node, DID string
	Cases                       map[string]struct {
		URI string `json:"uri"`
		JWT string `json:"jwt"`
	}
}

// TestInteropVerifier is direction 2: the third-party library, as a
// Verifier, creates requests for our format (a did:jwk client signing with
// EdDSA, by value and by reference; an unsigned redirect_uri: request) and
// our wallet functions read them.
func TestInteropVerifier(t *testing.T) {
	node := interopNode(t)
	var (
		mu  sync.Mutex
		jwt string
	)
	srv, _ := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != "/request/1" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", openid4vp.RequestObjectMediaType)
		w.Write([]byte(jwt))
	}))
	requestURI := srv.URL + "/request/1"
	queryFile, err := filepath.Abs(interopQuery)
	if err != nil {
		t.Fatal(err)
	}
	var res verifierResult
	runNode(t, node, "", &res, "verifier.mjs", "-query", queryFile, "-request-uri", requestURI, "-response-uri", interopResp)
	t.Logf("third-party verifier %s@%s on node %s, client %s", res.Library, res.Version, res.Node, res.DID)
	mu.Lock()
	jwt = res.Cases["signed_by_reference"].JWT
	mu.Unlock()

	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	fc, err := fetch.New(&fetch.Config{TLSConfig: &tls.Config{RootCAs: roots}, InsecureAllowPrivateAddresses: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	resolver := &did.JWKResolver{}
	clientID := openid4vp.PrefixDecentralizedIdentifier + res.DID
	q := interopDCQL(t)

	check := func(t *testing.T, ro *openid4vp.RequestObject, wantClient, wantMode string, wantTD int) {
		t.Helper()
		if ro.ClientID != wantClient || ro.ResponseMode != wantMode || ro.ResponseURI != interopResp || ro.Nonce == "" {
			t.Errorf("got client_id %q response_mode %q response_uri %q nonce %q", ro.ClientID, ro.ResponseMode, ro.ResponseURI, ro.Nonce)
		}
		a, _ := q.JSON()
		b, _ := ro.DCQLQuery.JSON()
		if !bytes.Equal(a, b) {
			t.Errorf("dcql_query changed on the way:\n%s\n%s", a, b)
		}
		if len(ro.TransactionData) != wantTD {
			t.Fatalf("%d transaction_data items, want %d", len(ro.TransactionData), wantTD)
		}
		for _, s := range ro.TransactionData {
			td, err := openid4vp.ParseTransactionData(s)
			if err != nil || td.Type != openid4vp.TypeBallot || td.Choice != "yes" {
				t.Errorf("transaction_data: %+v %v", td, err)
			}
		}
	}

	t.Run("signed_by_value", func(t *testing.T) {
		ar, err := openid4vp.ParseAuthorizationRequest(res.Cases["signed_by_value"].URI, false)
		if err != nil {
			t.Fatalf("ParseAuthorizationRequest: %v", err)
		}
		if ar.Request == "" || ar.ClientID != clientID {
			t.Fatalf("parsed %+v", ar)
		}
		ro, err := openid4vp.VerifyRequestObject(ctx, ar, ar.Request, resolver, nil)
		if err != nil {
			t.Fatalf("VerifyRequestObject: %v", err)
		}
		check(t, ro, clientID, openid4vp.ResponseModeDirectPostJWT, 1)
		if ro.Issuer != "" {
			t.Logf("iss %q", ro.Issuer)
		}
		// Our response encryption accepts the library-side client_metadata.
		if _, err := openid4vp.EncryptResponse(&openid4vp.Response{VPToken: map[string][]json.RawMessage{"voter": {json.RawMessage(`"x"`)}}, State: ro.State}, ro.ClientMetadata); err != nil {
			t.Errorf("EncryptResponse to the library's client_metadata: %v", err)
		}
	})
	t.Run("signed_by_reference", func(t *testing.T) {
		ar, err := openid4vp.ParseAuthorizationRequest(res.Cases["signed_by_reference"].URI, false)
		if err != nil {
			t.Fatalf("ParseAuthorizationRequest: %v", err)
		}
		if ar.RequestURI != requestURI || ar.ClientID != clientID {
			t.Fatalf("parsed %+v", ar)
		}
		token, err := openid4vp.FetchRequestObject(ctx, fc, ar)
		if err != nil {
			t.Fatalf("FetchRequestObject: %v", err)
		}
		ro, err := openid4vp.VerifyRequestObject(ctx, ar, token, resolver, nil)
		if err != nil {
			t.Fatalf("VerifyRequestObject: %v", err)
		}
		check(t, ro, clientID, openid4vp.ResponseModeDirectPost, 0)
	})
	t.Run("unsigned", func(t *testing.T) {
		ar, err := openid4vp.ParseAuthorizationRequest(res.Cases["unsigned"].URI, false)
		if err != nil {
			t.Fatalf("ParseAuthorizationRequest: %v", err)
		}
		if _, err := openid4vp.VerifyUnsignedRequest(ar, nil); !errors.Is(err, openid4vp.ErrUnsignedRequest) {
			t.Errorf("without the development opt-in: %v, want ErrUnsignedRequest", err)
		}
		ro, err := openid4vp.VerifyUnsignedRequest(ar, &openid4vp.VerifyOptions{InsecureAllowUnsigned: true})
		if err != nil {
			t.Fatalf("VerifyUnsignedRequest: %v", err)
		}
		check(t, ro, openid4vp.PrefixRedirectURI+interopResp, openid4vp.ResponseModeDirectPost, 1)
	})
}

package openid4vp

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/verifier/protocol/dcql"
)

func TestGoldenRequestObject(t *testing.T) {
	ro := testRequestObject(t)
	jwt, err := SignRequestObject(ro, signKey, kid, false)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "request_object.jwt", []byte(jwt+"\n"))
	_, payload, _ := strings.Cut(jwt, ".")
	payload, _, _ = strings.Cut(payload, ".")
	p, _ := base64.RawURLEncoding.DecodeString(payload)
	golden(t, "request_object.payload.json", append(p, '\n'))
	uri, err := AuthorizationRequestURI(clientID, requestURI)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "authorization_request.txt", []byte(uri+"\n"))

	ar, err := ParseAuthorizationRequest(uri, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifyRequestObject(context.Background(), ar, jwt, resolver(t), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	h, err := HandoverHash(NewHandover(got, "pid", testZKRequest(t, got)))
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := NewHandover(got, "pid", testZKRequest(t, got)).CanonicalBytes()
	golden(t, "handover.txt", fmt.Appendf(nil, "%s\nhash %s\n", cb, h.Text(16)))
}

// TestGoldenVerifies checks the committed vector itself, so a change to the
// signer cannot silently rewrite what the verifier accepts.
func TestGoldenVerifies(t *testing.T) {
	jwt := readGolden(t, "request_object.jwt")
	if _, err := VerifyRequestObject(context.Background(), testAR(), jwt, resolver(t), testOpts()); err != nil {
		t.Fatal(err)
	}
}

func readGolden(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

// TestFetchAndVerify runs the wallet side over loopback TLS: parse the
// link, fetch the Request Object through did/fetch, verify it.
func TestFetchAndVerify(t *testing.T) {
	jwt, err := SignRequestObject(testRequestObject(t), signKey, kid, false)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("Accept") != RequestObjectMediaType {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", RequestObjectMediaType)
		fmt.Fprint(w, jwt)
	}))
	defer srv.Close()
	c, err := fetch.New(&fetch.Config{TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig,
		InsecureAllowPrivateAddresses: true})
	if err != nil {
		t.Fatal(err)
	}
	uri, err := AuthorizationRequestURI(clientID, srv.URL+"/request/abc")
	if err != nil {
		t.Fatal(err)
	}
	ar, err := ParseAuthorizationRequest(uri, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FetchRequestObject(context.Background(), c, ar)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := VerifyRequestObject(context.Background(), ar, got, resolver(t), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if ro.Nonce != testRequestObject(t).Nonce {
		t.Fatal("nonce changed")
	}
	// A fetch failure is "could not check", not a refusal.
	ar.RequestURI = srv.URL + "/missing"
	srv.Config.Handler = http.NotFoundHandler()
	if _, err := FetchRequestObject(context.Background(), c, ar); !errors.Is(err, ErrFetch) || ErrorCode(err) != CodeServerError {
		t.Fatalf("404: %v", err)
	}
}

// sign builds a compact JWS from a header and payload map, signed with
// key (or with sig when key is nil), so tests can forge any header.
func sign(t testing.TB, header, payload map[string]any, key ed25519.PrivateKey) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	return in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, []byte(in)))
}

func baseHeader() map[string]any {
	return map[string]any{"alg": "EdDSA", "typ": RequestObjectType, "kid": kid}
}

func basePayload(t testing.TB) map[string]any {
	t.Helper()
	ro := testRequestObject(t)
	ro.Issuer = ro.ClientID
	b, err := json.Marshal(ro)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRejectRequestObject lists refused Request Objects grouped by reason;
// each must fail with its sentinel and map to its OpenID4VP error code.
func TestRejectRequestObject(t *testing.T) {
	good := sign(t, baseHeader(), basePayload(t), signKey)
	if _, err := VerifyRequestObject(context.Background(), testAR(), good, resolver(t), testOpts()); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	with := func(mod func(h, p map[string]any)) string {
		h, p := baseHeader(), basePayload(t)
		mod(h, p)
		return sign(t, h, p, signKey)
	}
	hs256 := func() string {
		h, _ := json.Marshal(map[string]any{"alg": "HS256", "typ": RequestObjectType, "kid": kid})
		p, _ := json.Marshal(basePayload(t))
		in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
		m := hmac.New(sha256.New, []byte(signKey.Public().(ed25519.PublicKey)))
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}()
	segs := strings.Split(good, ".")
	flipBits := func(s string) string { // same bytes, non-zero unused low bits
		last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", s[len(s)-1])
		return s[:len(s)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last|1])
	}
	ar := testAR
	tests := []struct {
		name  string
		ar    func() *AuthorizationRequest
		token string
		opts  *VerifyOptions
		want  error
		code  string
	}{
		// Unsigned where a signed request is required.
		{"alg none", ar, segs[0][:0] + b64e(`{"alg":"none","typ":"oauth-authz-req+jwt","kid":"`+kid+`"}`) + "." + segs[1] + ".", nil, ErrUnsignedRequest, CodeInvalidRequestObject},
		{"alg none with empty signature segment", ar, b64e(`{"alg":"none"}`) + "." + segs[1] + ".", nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"redirect_uri: prefix cannot be signed", func() *AuthorizationRequest {
			return &AuthorizationRequest{ClientID: PrefixRedirectURI + responseURI, RequestURI: requestURI}
		}, good, nil, ErrUnsignedRequest, CodeInvalidRequest},

		// Signature not matching the client's DID.
		{"signed by another key under the client's kid", ar, sign(t, baseHeader(), basePayload(t), attackerKey), nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"kid of another DID", ar, with(func(h, p map[string]any) {
			d, _ := did.KeyDID(attackerKey.Public())
			h["kid"] = d + "#" + strings.TrimPrefix(d, "did:key:")
		}), nil, ErrClientMismatch, CodeInvalidClient},
		{"kid not in the client's document", ar, with(func(h, p map[string]any) { h["kid"] = clientDID + "#key-9" }), nil, ErrClientKey, CodeInvalidClient},
		{"kid in assertionMethod only", ar, sign(t, map[string]any{"alg": "EdDSA", "typ": RequestObjectType, "kid": clientDID + "#assert-1"}, basePayload(t), assertKey), nil, ErrClientKey, CodeInvalidClient},
		{"kid relative", ar, with(func(h, p map[string]any) { h["kid"] = "#key-1" }), nil, ErrClientMismatch, CodeInvalidClient},
		{"kid missing", ar, with(func(h, p map[string]any) { delete(h, "kid") }), nil, ErrClientMismatch, CodeInvalidClient},
		{"payload altered after signing", ar, segs[0] + "." + b64e(strings.Replace(b64d(segs[1]), `"state-1"`, `"state-2"`, 1)) + "." + segs[2], nil, ErrInvalidRequestObject, CodeInvalidRequestObject},

		// client_id mismatch.
		{"client_id differs from the URI's", ar, with(func(h, p map[string]any) {
			p["client_id"] = PrefixDecentralizedIdentifier + "did:web:other.example"
			p["iss"] = p["client_id"]
		}), nil, ErrClientMismatch, CodeInvalidClient},
		{"iss differs from client_id", ar, with(func(h, p map[string]any) { p["iss"] = "did:web:other.example" }), nil, ErrClientMismatch, CodeInvalidClient},
		{"URI client_id of another DID", func() *AuthorizationRequest {
			return &AuthorizationRequest{ClientID: PrefixDecentralizedIdentifier + "did:web:other.example"}
		}, good, nil, ErrClientMismatch, CodeInvalidClient},

		// Expired or not yet valid.
		{"expired", ar, good, &VerifyOptions{Now: func() time.Time { return testNow.Add(11 * time.Minute) }}, ErrExpired, CodeInvalidRequestObject},
		{"issued in the future", ar, good, &VerifyOptions{Now: func() time.Time { return testNow.Add(-2 * time.Minute) }}, ErrExpired, CodeInvalidRequestObject},
		{"no exp", ar, with(func(h, p map[string]any) { delete(p, "exp") }), nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"lifetime over the limit", ar, with(func(h, p map[string]any) { p["exp"] = testNow.Add(2 * time.Hour).Unix() }), nil, ErrInvalidRequestObject, CodeInvalidRequestObject},

		// Wrong typ.
		{"typ JWT", ar, with(func(h, p map[string]any) { h["typ"] = "JWT" }), nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"typ missing", ar, with(func(h, p map[string]any) { delete(h, "typ") }), nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"typ case variant", ar, with(func(h, p map[string]any) { h["typ"] = "OAUTH-AUTHZ-REQ+JWT" }), nil, ErrInvalidRequestObject, CodeInvalidRequestObject},

		// Algorithms outside the allow-list.
		{"alg HS256 keyed with the public key", ar, hs256, nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"alg RS256", ar, with(func(h, p map[string]any) { h["alg"] = "RS256" }), nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"alg ES256 on an Ed25519 key", ar, with(func(h, p map[string]any) { h["alg"] = "ES256" }), nil, ErrInvalidRequestObject, CodeInvalidRequestObject},

		// Not canonical base64url or not three segments.
		{"signature with non-zero padding bits", ar, segs[0] + "." + segs[1] + "." + flipBits(segs[2]), nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"header with non-zero padding bits", ar, flipBits(segs[0]) + "." + segs[1] + "." + segs[2], nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"padding", ar, good + "==", nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"line break", ar, segs[0] + "." + segs[1][:10] + "\n" + segs[1][10:] + "." + segs[2], nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"four segments", ar, good + ".AA", nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"JSON serialization", ar, `{"payload":"` + segs[1] + `"}`, nil, ErrInvalidRequestObject, CodeInvalidRequestObject},

		// Header and payload JSON.
		{"crit", ar, with(func(h, p map[string]any) { h["crit"] = []string{"exp"}; h["exp"] = 1 }), nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"header case variant", ar, with(func(h, p map[string]any) { h["ALG"] = "none" }), nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"payload case variant of client_id", ar, with(func(h, p map[string]any) { p["Client_id"] = "x" }), nil, ErrInvalidRequest, CodeInvalidRequest},
		{"aud not the wallet", ar, with(func(h, p map[string]any) { p["aud"] = "https://wallet.example" }), nil, ErrInvalidRequestObject, CodeInvalidRequestObject},
		{"scope with dcql_query", ar, with(func(h, p map[string]any) { p["scope"] = "pid" }), nil, ErrInvalidRequest, CodeInvalidRequest},
		{"response_uri http", ar, with(func(h, p map[string]any) { p["response_uri"] = "http://verifier.example/r" }), nil, ErrInvalidRequest, CodeInvalidRequest},
		{"response_type code", ar, with(func(h, p map[string]any) { p["response_type"] = "code" }), nil, ErrInvalidRequest, CodeInvalidRequest},
		{"response_mode fragment", ar, with(func(h, p map[string]any) { p["response_mode"] = "fragment" }), nil, ErrInvalidRequest, CodeInvalidRequest},
		{"nonce not URL-safe", ar, with(func(h, p map[string]any) { p["nonce"] = "a b" }), nil, ErrInvalidRequest, CodeInvalidRequest},
		{"direct_post.jwt without a key", ar, with(func(h, p map[string]any) { delete(p["client_metadata"].(map[string]any), "jwks") }), nil, ErrInvalidRequest, CodeInvalidRequest},
		{"no vp_formats_supported", ar, with(func(h, p map[string]any) { delete(p["client_metadata"].(map[string]any), "vp_formats_supported") }), nil, ErrInvalidRequest, CodeInvalidRequest},
		{"dcql_query not an object", ar, with(func(h, p map[string]any) { p["dcql_query"] = "pid" }), nil, ErrInvalidRequest, CodeInvalidRequest},
		{"dcql_query with an unknown member", ar, with(func(h, p map[string]any) { p["dcql_query"].(map[string]any)["x"] = 1 }), nil, ErrInvalidRequest, CodeInvalidRequest},
		{"no dcql_query", ar, with(func(h, p map[string]any) { delete(p, "dcql_query") }), nil, ErrInvalidRequest, CodeInvalidRequest},

		// Transaction data.
		{"unknown transaction data type", ar, with(func(h, p map[string]any) {
			p["transaction_data"] = []string{b64e(`{"type":"payment","credential_ids":["pid"]}`)}
		}), nil, ErrInvalidTransactionData, CodeInvalidTransactionData},
		{"ballot with an unknown member", ar, with(func(h, p map[string]any) {
			p["transaction_data"] = []string{b64e(`{"type":"zkcred_ballot","credential_ids":["pid"],"ballot_id":"b","choice":"yes","amount":1}`)}
		}), nil, ErrInvalidTransactionData, CodeInvalidTransactionData},
		{"ballot naming another credential query", ar, with(func(h, p map[string]any) {
			p["transaction_data"] = []string{ballot(t, "yes")[:0] + mustEncode(t, &TransactionData{Type: TypeBallot, CredentialIDs: []string{"mdl"}, BallotID: "b", Choice: "yes"})}
		}), nil, ErrInvalidTransactionData, CodeInvalidTransactionData},
		{"empty transaction_data", ar, with(func(h, p map[string]any) { p["transaction_data"] = []string{} }), nil, ErrInvalidTransactionData, CodeInvalidTransactionData},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if opts == nil {
				opts = testOpts()
			}
			ro, err := VerifyRequestObject(context.Background(), tc.ar(), tc.token, resolver(t), opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if ro != nil {
				t.Error("non-nil request object with an error")
			}
			if c := ErrorCode(err); c != tc.code {
				t.Errorf("code %s, want %s (%v)", c, tc.code, err)
			}
		})
	}
}

func b64e(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func b64d(s string) string {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	return string(b)
}

func mustEncode(t testing.TB, td *TransactionData) string {
	t.Helper()
	s, err := td.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDevOptIns: http and unsigned requests only with the options set.
func TestDevOptIns(t *testing.T) {
	ro := testRequestObject(t)
	ro.ResponseURI = "http://127.0.0.1:8080/response"
	if _, err := SignRequestObject(ro, signKey, kid, false); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("http response_uri signed without opt-in: %v", err)
	}
	jwt, err := SignRequestObject(ro, signKey, kid, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyRequestObject(context.Background(), testAR(), jwt, resolver(t), testOpts()); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("http response_uri accepted without opt-in: %v", err)
	}
	if _, err := VerifyRequestObject(context.Background(), testAR(), jwt, resolver(t), &VerifyOptions{Now: testOpts().Now, InsecureAllowHTTP: true}); err != nil {
		t.Fatal(err)
	}

	// redirect_uri: by value.
	dev := testRequestObject(t)
	dev.ClientID = PrefixRedirectURI + responseURI
	if _, err := SignRequestObject(dev, signKey, kid, false); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("redirect_uri: signed: %v", err)
	}
	uri, err := dev.ByValueURI(false)
	if err != nil {
		t.Fatal(err)
	}
	ar, err := ParseAuthorizationRequest(uri, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyUnsignedRequest(ar, nil); !errors.Is(err, ErrUnsignedRequest) {
		t.Fatalf("unsigned accepted without opt-in: %v", err)
	}
	got, err := VerifyUnsignedRequest(ar, &VerifyOptions{InsecureAllowUnsigned: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.Nonce != dev.Nonce || len(got.TransactionData) != 2 || mustJSON(t, got.DCQLQuery) != dcqlJSON {
		t.Fatalf("by-value round trip: %+v", got)
	}
	// An unsigned request for a prefix that requires signing.
	ar.ClientID, ar.Params.ClientID = clientID, clientID
	if _, err := VerifyUnsignedRequest(ar, &VerifyOptions{InsecureAllowUnsigned: true}); !errors.Is(err, ErrUnsignedRequest) {
		t.Fatalf("decentralized_identifier: unsigned: %v", err)
	}
	// redirect_uri: whose identifier is not the response_uri.
	dev.ClientID = PrefixRedirectURI + "https://evil.example/r"
	if _, err := dev.ByValueURI(false); !errors.Is(err, ErrClientMismatch) {
		t.Fatalf("redirect_uri: mismatch: %v", err)
	}
}

func TestRejectAuthorizationRequestURI(t *testing.T) {
	q := "client_id=" + urlq(clientID) + "&request_uri=" + urlq(requestURI)
	tests := []struct {
		name, uri string
		want      error
	}{
		{"https scheme", "https://?" + q, ErrInvalidRequest},
		{"host", "openid4vp://wallet.example/?" + q, ErrInvalidRequest},
		{"no client_id", "openid4vp://?request_uri=" + urlq(requestURI), ErrInvalidRequest},
		{"unsupported prefix", "openid4vp://?client_id=" + urlq("x509_san_dns:verifier.example") + "&request_uri=" + urlq(requestURI), ErrInvalidRequest},
		{"pre-registered (no prefix)", "openid4vp://?client_id=verifier&request_uri=" + urlq(requestURI), ErrInvalidRequest},
		{"repeated client_id", "openid4vp://?" + q + "&client_id=" + urlq(clientID), ErrInvalidRequest},
		{"request_uri http", "openid4vp://?client_id=" + urlq(clientID) + "&request_uri=" + urlq("http://verifier.example/r"), ErrInvalidRequest},
		{"request and request_uri", "openid4vp://?" + q + "&request=a.b.c", ErrInvalidRequest},
		{"request_uri_method PUT", "openid4vp://?" + q + "&request_uri_method=PUT", ErrInvalidRequestURIMethod},
		{"request_uri_method GET (case-sensitive)", "openid4vp://?" + q + "&request_uri_method=GET", ErrInvalidRequestURIMethod},
		{"request_uri_method without request_uri", "openid4vp://?client_id=" + urlq(clientID) + "&request=a.b.c&request_uri_method=get", ErrInvalidRequest},
		{"semicolon", "openid4vp://?" + q + ";x=1", ErrInvalidRequest},
		{"by value, bad dcql JSON", "openid4vp://?client_id=" + urlq(PrefixRedirectURI+responseURI) + "&dcql_query=%7B", ErrInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ar, err := ParseAuthorizationRequest(tc.uri, false)
			if !errors.Is(err, tc.want) || ar != nil {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if c := ErrorCode(fmt.Errorf("x: %w", ErrInvalidRequestURIMethod)); c != CodeInvalidRequestURIMethod {
		t.Error(c)
	}
}

func urlq(s string) string { return strings.NewReplacer(":", "%3A", "/", "%2F", "#", "%23").Replace(s) }

func mustJSON(t testing.TB, q *dcql.Query) string {
	t.Helper()
	b, err := q.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

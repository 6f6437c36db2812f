package openid4vp

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/verifier/protocol"
)

// TestHandoverHashChanges: a proof answering one request fails for any
// other client, nonce, response URI, ballot, consent text, query or date,
// because each changes the hash it binds.
func TestHandoverHashChanges(t *testing.T) {
	base := func() *Handover {
		ro := testRequestObject(t)
		return NewHandover(ro, "pid", testZKRequest(t, ro))
	}
	h0, err := HandoverHash(base())
	if err != nil {
		t.Fatal(err)
	}
	// withClient and withNonce keep the zkcred request consistent, as an
	// honest verifier would build it; an inconsistent one is refused below.
	withClient := func(c string) func(h *Handover) {
		return func(h *Handover) { h.ClientID, h.Request.Audience = c, c }
	}
	withNonce := func(h *Handover) {
		n := make([]byte, protocol.NonceSize)
		n[0] = 1
		h.Request.Nonce = n
		h.Request.ID = base64.RawURLEncoding.EncodeToString(n)
		h.Nonce = h.Request.ID
	}
	other := ballot(t, "no")
	mods := map[string]func(h *Handover){
		"client_id (another DID)":    withClient(PrefixDecentralizedIdentifier + "did:web:other.example"),
		"client_id (redirect_uri:)":  withClient(PrefixRedirectURI + responseURI),
		"nonce":                      withNonce,
		"response_uri":               func(h *Handover) { h.ResponseURI = "https://verifier.example/openid4vp/response2" },
		"origin instead of response": func(h *Handover) { h.ResponseURI, h.Origin = "", "https://verifier.example" },
		"ballot choice":              func(h *Handover) { h.TransactionData = []string{other, h.TransactionData[1]} },
		"consent text":               func(h *Handover) { h.TransactionData[1] = consent(t, "I consent to something else.") },
		"transaction data order": func(h *Handover) {
			h.TransactionData[0], h.TransactionData[1] = h.TransactionData[1], h.TransactionData[0]
		},
		"transaction data dropped": func(h *Handover) { h.TransactionData = h.TransactionData[:1] },
		"no transaction data":      func(h *Handover) { h.TransactionData = nil },
		"date":                     func(h *Handover) { h.Request.Date = "2026-12-02" },
		"policy (age 21)":          func(h *Handover) { y := 21; h.Request.Predicates[0].Years = &y },
		"validity window":          func(h *Handover) { h.Request.ExpiresAt-- },
		"DCQL query (another request)": func(h *Handover) {
			c := &h.DCQLQuery.Credentials[0]
			c.Meta = json.RawMessage(strings.Replace(string(c.Meta), "86400", "86401", 1))
		},
	}
	seen := map[string]string{h0.Text(16): "base"}
	for name, mod := range mods {
		h := base()
		mod(h)
		got, err := HandoverHash(h)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if prev, ok := seen[got.Text(16)]; ok {
			t.Errorf("%s: same hash as %s", name, prev)
		}
		seen[got.Text(16)] = name
	}
	// Determinism: the same handover twice gives the same hash.
	if h1, _ := HandoverHash(base()); h1 != h0 {
		t.Error("hash not deterministic")
	}
}

func TestHandoverRejects(t *testing.T) {
	base := func() *Handover {
		ro := testRequestObject(t)
		return NewHandover(ro, "pid", testZKRequest(t, ro))
	}
	tests := map[string]struct {
		mod  func(h *Handover)
		want error
	}{
		// The zkcred request must be the one for this OpenID4VP request.
		"audience not the client_id": {func(h *Handover) { h.ClientID = PrefixDecentralizedIdentifier + "did:web:other.example" }, ErrInvalidRequest},
		"request id not the nonce":   {func(h *Handover) { h.Nonce = "other-nonce-value" }, ErrInvalidRequest},
		"no zkcred request":          {func(h *Handover) { h.Request = nil }, ErrInvalidRequest},
		// Exactly one of response_uri and origin.
		"both response_uri and origin": {func(h *Handover) { h.Origin = "https://verifier.example" }, ErrInvalidRequest},
		"neither":                      {func(h *Handover) { h.ResponseURI = "" }, ErrInvalidRequest},
		// The credential query must be in the query.
		"unknown credential query": {func(h *Handover) { h.CredentialQueryID = "mdl" }, ErrInvalidRequest},
		"no DCQL query":            {func(h *Handover) { h.DCQLQuery = nil }, ErrInvalidRequest},
		// Transaction data of an unknown type has no hash.
		"unknown transaction data type": {func(h *Handover) {
			h.TransactionData = []string{b64e(`{"type":"payment","credential_ids":["pid"]}`)}
		}, ErrInvalidTransactionData},
		"unsupported prefix": {func(h *Handover) {
			h.ClientID, h.Request.Audience = "x509_san_dns:verifier.example", "x509_san_dns:verifier.example"
		}, ErrInvalidRequest},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := base()
			tc.mod(h)
			if _, err := HandoverHash(h); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

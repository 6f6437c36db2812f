package openid4vp

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/dcql"
)

// HandoverVersion names the handover binding format (PROFILE.md, "Handover
// hash v1").
const HandoverVersion = "zkcred-openid4vp-handover-v1"

// Handover is what a proof answering an OpenID4VP request is bound to: the
// OpenID4VP parameters that identify the request and the zkcred request
// (policy, date, validity) its DCQL query compiles to.
type Handover struct {
	// ClientID is the full client_id, prefix included
	// ("decentralized_identifier:did:web:verifier.example"); over the
	// Digital Credentials API the effective one, "origin:<origin>".
	ClientID string
	// Nonce is the request's nonce.
	Nonce string
	// ResponseURI is the request's response_uri; empty when Origin is set.
	ResponseURI string
	// Origin is the verifier's web origin over the Digital Credentials
	// API; empty when ResponseURI is set.
	Origin string
	// DCQLQuery is the request's DCQL query and CredentialQueryID the id of
	// the credential query this presentation answers: one proof per
	// presentation, each bound to the whole query and to its place in it.
	DCQLQuery         *dcql.Query
	CredentialQueryID string
	// TransactionData are the request's transaction_data items, as
	// received, in request order.
	TransactionData []string
	// Request is the zkcred request the DCQL query compiles to. Its ID must
	// be Nonce and its Audience ClientID, so the nullifier scope
	// (credential.ScopeFor(Audience, Scope)) is per client_id too.
	Request *protocol.Request
}

// NewHandover returns the handover of the presentation answering the
// credential query credentialQueryID of a verified Request Object ro with
// the zkcred request req (whose policy is one that query compiles to).
func NewHandover(ro *RequestObject, credentialQueryID string, req *protocol.Request) *Handover {
	return &Handover{ClientID: ro.ClientID, Nonce: ro.Nonce, ResponseURI: ro.ResponseURI,
		DCQLQuery: ro.DCQLQuery, CredentialQueryID: credentialQueryID,
		TransactionData: ro.TransactionData, Request: req}
}

// handoverJSON is the v1 encoding; field order is the format.
type handoverJSON struct {
	ClientID    string   `json:"client_id"`
	Nonce       string   `json:"nonce"`
	ResponseURI string   `json:"response_uri"`
	Origin      string   `json:"origin"`
	DCQLHash    string   `json:"dcql_query_hash"`
	QueryID     string   `json:"credential_query_id"`
	TDHashes    []string `json:"transaction_data_hashes"`
	RequestHash string   `json:"request_hash"`
}

// CanonicalBytes returns the bytes the handover hash covers (format v1):
// HandoverVersion, a newline, then the JSON object
//
//	{"client_id":…,"nonce":…,"response_uri":…,"origin":…,
//	 "dcql_query_hash":…,"credential_query_id":…,
//	 "transaction_data_hashes":[…],"request_hash":…}
//
// in this order, without white space or HTML escaping, where
// dcql_query_hash is the base64url (unpadded) SHA-256 of the query's
// canonical JSON (dcql.Query.JSON), credential_query_id one of its
// credential query ids,
// transaction_data_hashes are the base64url (unpadded) SHA-256 hashes of
// the items as received ([TransactionDataHash]), in request order ([] when
// none), and request_hash is the 64 lowercase hex digits of
// protocol.Request.Hash (which covers the nonce, audience, policy, date and
// validity window). Exactly one of response_uri and origin is non-empty.
// Errors wrap [ErrInvalidRequest] or [ErrInvalidTransactionData]: an item of
// an unknown type has no hash here.
func (h *Handover) CanonicalBytes() ([]byte, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: handover: "+format, append([]any{ErrInvalidRequest}, a...)...)
	}
	if _, _, err := Prefix(h.ClientID); err != nil && !(h.Origin != "" && h.ClientID == PrefixOrigin+h.Origin) {
		return nil, bad("client_id %.80q", h.ClientID)
	}
	if !nonceOK(h.Nonce, MaxNonceLen) {
		return nil, bad("nonce")
	}
	if (h.ResponseURI == "") == (h.Origin == "") {
		return nil, bad("exactly one of response_uri and origin")
	}
	if h.ResponseURI != "" {
		if err := checkURL(h.ResponseURI, true); err != nil {
			return nil, bad("response_uri: %v", err)
		}
	} else if err := checkURL(h.Origin, true); err != nil {
		return nil, bad("origin: %v", err)
	}
	if h.Request == nil {
		return nil, bad("no zkcred request")
	}
	if h.Request.ID != h.Nonce || h.Request.Audience != h.ClientID {
		return nil, bad("the zkcred request's id and audience must be the nonce and client_id")
	}
	if h.DCQLQuery == nil {
		return nil, bad("no DCQL query")
	}
	ids, err := credentialQueryIDs(h.DCQLQuery)
	if err != nil {
		return nil, err
	}
	if !ids[h.CredentialQueryID] {
		return nil, bad("credential query %.80q is not in the DCQL query", h.CredentialQueryID)
	}
	dq, err := h.DCQLQuery.JSON()
	if err != nil {
		return nil, bad("%v", err)
	}
	dh := sha256.Sum256(dq)
	rh, err := h.Request.Hash()
	if err != nil {
		return nil, fmt.Errorf("%w: handover: %w", ErrInvalidRequest, err)
	}
	if len(h.TransactionData) > MaxTransactionData {
		return nil, fmt.Errorf("%w: at most %d items", ErrInvalidTransactionData, MaxTransactionData)
	}
	v := handoverJSON{ClientID: h.ClientID, Nonce: h.Nonce, ResponseURI: h.ResponseURI,
		Origin: h.Origin, DCQLHash: base64.RawURLEncoding.EncodeToString(dh[:]),
		QueryID: h.CredentialQueryID, TDHashes: []string{}, RequestHash: protocol.FieldHex(rh)}
	for i, s := range h.TransactionData {
		if _, err := ParseTransactionData(s); err != nil {
			return nil, fmt.Errorf("transaction_data %d: %w", i, err)
		}
		d := TransactionDataHash(s)
		v.TDHashes = append(v.TDHashes, base64.RawURLEncoding.EncodeToString(d[:]))
	}
	var buf bytes.Buffer
	buf.WriteString(HandoverVersion + "\n")
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, bad("%v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// HandoverHash returns the field element a proof answering an OpenID4VP
// request binds as its request hash (zkp.Statement.RequestHash, in place of
// protocol.Request.Hash): zkhash.Bytes(zkhash.TagRequest,
// h.CanonicalBytes()). It shares the tag of protocol.Request.Hash; the
// first line ("zkcred-openid4vp-handover-v1" here, "zkcred-request-v1"
// there, neither a prefix of the other and both ended by a newline)
// separates the two domains.
func HandoverHash(h *Handover) (fr.Element, error) {
	b, err := h.CanonicalBytes()
	if err != nil {
		return fr.Element{}, err
	}
	return zkhash.Bytes(zkhash.TagRequest, b), nil
}

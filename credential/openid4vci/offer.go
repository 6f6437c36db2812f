package openid4vci

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/zkcred/zkcred/credential/display"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/did/strictjson"
)

// Protocol identifiers.
const (
	// GrantPreAuthorizedCode is the Pre-Authorized Code grant type
	// (OpenID4VCI 1.0 §3.5, §4.1.1).
	GrantPreAuthorizedCode = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
	// OfferScheme is the URI scheme of a credential offer (§4.1.3).
	OfferScheme = "openid-credential-offer"
	// MaxOfferSize bounds a credential offer, as JSON or as a URI.
	MaxOfferSize = 16 << 10
)

// CredentialOffer is a Credential Offer (OpenID4VCI 1.0 §4.1.1).
type CredentialOffer struct {
	CredentialIssuer           string   `json:"credential_issuer"`
	CredentialConfigurationIDs []string `json:"credential_configuration_ids"`
	Grants                     Grants   `json:"grants"`
}

// Grants holds the grants of an offer. Only the Pre-Authorized Code grant
// is implemented; an authorization_code grant in an offer is parsed and
// ignored.
type Grants struct {
	PreAuthorizedCode *PreAuthorizedCodeGrant `json:"urn:ietf:params:oauth:grant-type:pre-authorized_code,omitempty"`
}

// PreAuthorizedCodeGrant is the offer's Pre-Authorized Code grant.
type PreAuthorizedCodeGrant struct {
	// Code is the pre-authorized code: a single-use bearer secret.
	Code string `json:"pre-authorized_code"`
	// TxCode, when present, says that the token request must carry a
	// transaction code (the PIN sent on another channel) and describes it.
	TxCode *TxCode `json:"tx_code,omitempty"`
	// AuthorizationServer names the authorization server when the issuer
	// has several; empty means the credential issuer itself.
	AuthorizationServer string `json:"authorization_server,omitempty"`
}

// TxCode describes a transaction code (§4.1.1): "numeric" or "text", its
// length and a description for the user (at most 300 characters).
type TxCode struct {
	InputMode   string `json:"input_mode,omitempty"`
	Length      int    `json:"length,omitempty"`
	Description string `json:"description,omitempty"`
}

// ParseOffer parses a credential offer given as JSON (the object of §4.1.1)
// or as a URI of scheme openid-credential-offer (any authority and path,
// as the spec allows custom ones, but exactly one query parameter,
// credential_offer or credential_offer_uri, given once).
//
// For an offer by value it returns the offer and an empty URI; for an
// offer by reference it returns a nil offer and the credential_offer_uri
// (an http(s) URL; the wallet's fetch policy decides whether http is
// allowed), which [Wallet.Offer] fetches. Errors wrap
// [ErrInvalidOffer]: input over [MaxOfferSize], duplicate JSON members
// (also after unescaping), invalid UTF-8, trailing data, a missing
// credential_issuer (an http(s) URL without query or fragment), no
// credential_configuration_ids, empty or repeated ids, no Pre-Authorized
// Code grant or an empty code, a tx_code with an input_mode other than
// numeric or text, a negative length, a description over 300 characters
// or with a character credential/display refuses (also wrapping
// display.ErrNotDisplayable: control, bidirectional formatting and
// invisible characters).
// The JSON is decoded with strictjson.UnmarshalOpen: unknown members are
// ignored (the offer is an extensible object), but a member whose name is a
// case variant of a known one ("Credential_Issuer"), which a
// case-insensitive reader would take for it, is refused, in the offer, its
// grants, the Pre-Authorized Code grant and its tx_code.
func ParseOffer(s string) (offer *CredentialOffer, offerURI string, err error) {
	if len(s) > MaxOfferSize {
		return nil, "", fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidOffer, len(s), MaxOfferSize)
	}
	if strings.HasPrefix(s, "{") {
		o, err := parseOfferJSON([]byte(s))
		return o, "", err
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != OfferScheme || u.Fragment != "" || u.User != nil {
		return nil, "", fmt.Errorf("%w: not an %s: URI or a JSON object", ErrInvalidOffer, OfferScheme)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, "", fmt.Errorf("%w: query: %v", ErrInvalidOffer, err)
	}
	if len(q) != 1 {
		return nil, "", fmt.Errorf("%w: want exactly one of credential_offer and credential_offer_uri", ErrInvalidOffer)
	}
	if v, ok := q["credential_offer"]; ok && len(v) == 1 {
		o, err := parseOfferJSON([]byte(v[0]))
		return o, "", err
	}
	if v, ok := q["credential_offer_uri"]; ok && len(v) == 1 {
		if err := fetch.CheckURL(v[0], true); err != nil {
			return nil, "", fmt.Errorf("%w: credential_offer_uri: %w", ErrInvalidOffer, err)
		}
		return nil, v[0], nil
	}
	return nil, "", fmt.Errorf("%w: want exactly one of credential_offer and credential_offer_uri, once", ErrInvalidOffer)
}

func parseOfferJSON(b []byte) (*CredentialOffer, error) {
	if len(b) > MaxOfferSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidOffer, len(b), MaxOfferSize)
	}
	var o CredentialOffer
	if err := strictjson.UnmarshalOpen(b, &o); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOffer, err)
	}
	if err := checkCaseVariants(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOffer, err)
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	return &o, nil
}

// checkCaseVariants refuses case variants of the offer's known member
// names, level by level (b already decoded strictly).
func checkCaseVariants(b []byte) error {
	m, err := strictjson.Members(b, "credential_issuer", "credential_configuration_ids", "grants")
	if err != nil {
		return err
	}
	g, ok := m["grants"]
	if !ok || isNull(g) {
		return nil
	}
	if m, err = strictjson.Members(g, GrantPreAuthorizedCode, "authorization_code"); err != nil {
		return err
	}
	pa, ok := m[GrantPreAuthorizedCode]
	if !ok || isNull(pa) {
		return nil
	}
	if m, err = strictjson.Members(pa, "pre-authorized_code", "tx_code", "authorization_server"); err != nil {
		return err
	}
	if tc, ok := m["tx_code"]; ok && !isNull(tc) {
		_, err = strictjson.Members(tc, "input_mode", "length", "description")
	}
	return err
}

func isNull(raw []byte) bool { return string(bytes.TrimSpace(raw)) == "null" }

// check validates an offer as ParseOffer documents.
func (o *CredentialOffer) check() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: "+f, append([]any{ErrInvalidOffer}, a...)...) }
	if err := CheckIdentifier(o.CredentialIssuer, true); err != nil {
		return bad("credential_issuer: %v", err)
	}
	if len(o.CredentialConfigurationIDs) == 0 || len(o.CredentialConfigurationIDs) > 64 {
		return bad("credential_configuration_ids must hold 1 to 64 ids")
	}
	seen := map[string]bool{}
	for _, id := range o.CredentialConfigurationIDs {
		if id == "" || seen[id] {
			return bad("empty or repeated credential configuration id")
		}
		seen[id] = true
	}
	g := o.Grants.PreAuthorizedCode
	if g == nil || g.Code == "" {
		return bad("no pre-authorized code grant")
	}
	if g.AuthorizationServer != "" {
		if err := CheckIdentifier(g.AuthorizationServer, true); err != nil {
			return bad("authorization_server: %v", err)
		}
	}
	if t := g.TxCode; t != nil {
		if t.InputMode != "" && t.InputMode != "numeric" && t.InputMode != "text" {
			return bad("tx_code input_mode %q", truncate(t.InputMode, 32))
		}
		if t.Length < 0 || t.Length > 64 {
			return bad("tx_code length %d", t.Length)
		}
		if utf8.RuneCountInString(t.Description) > 300 {
			return bad("tx_code description over 300 characters")
		}
		// The wallet shows it next to the PIN field: it reads as its
		// characters, or an issuer could make it say otherwise.
		if err := display.Check(t.Description, false); err != nil {
			return fmt.Errorf("%w: tx_code description: %w", ErrInvalidOffer, err)
		}
	}
	return nil
}

// CheckIdentifier checks a Credential Issuer Identifier or authorization
// server identifier: an absolute https URL (or http when allowHTTP) with a
// host, no query, no fragment, no user information. Issuer and wallet use
// the same rule; the wallet parses with allowHTTP and leaves the scheme to
// its fetch policy, which refuses http unless
// fetch.Config.InsecureAllowHTTP.
func CheckIdentifier(s string, allowHTTP bool) error {
	if err := fetch.CheckURL(s, allowHTTP); err != nil {
		return err
	}
	u, _ := url.Parse(s)
	if u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "#") || strings.HasSuffix(s, "?") {
		return fmt.Errorf("%q has a query or fragment", truncate(s, 128))
	}
	return nil
}

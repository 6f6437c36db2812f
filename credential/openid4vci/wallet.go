package openid4vci

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/display"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/did/strictjson"
)

// WalletConfig configures [NewWallet].
type WalletConfig struct {
	// Fetch is the outbound HTTP client. The library has one outbound
	// policy, package did/fetch (https only, public addresses only, no
	// cross-host redirect, a deadline and a size limit), so the wallet takes
	// a *fetch.Client rather than an *http.Client; nil means fetch.New(nil),
	// the production policy.
	Fetch *fetch.Client
	// Resolver resolves the issuer's DID to verify the issued credential;
	// required.
	Resolver did.Resolver
	// Verify are the options of credential.Stored.Verify.
	Verify credential.VerifyOptions
	// Clock gives the time of proofs; nil means time.Now.
	Clock func() time.Time
}

// Wallet is the wallet side of OpenID4VCI (Pre-Authorized Code flow). It
// is safe for concurrent use.
type Wallet struct {
	cfg WalletConfig
}

// NewWallet returns a wallet. Errors wrap [ErrConfig].
func NewWallet(cfg WalletConfig) (*Wallet, error) {
	if cfg.Resolver == nil {
		return nil, fmt.Errorf("%w: no Resolver", ErrConfig)
	}
	if cfg.Fetch == nil {
		c, err := fetch.New(nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		cfg.Fetch = c
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Wallet{cfg: cfg}, nil
}

// Offer parses a credential offer ([ParseOffer]) and, for an offer by
// reference, fetches and parses it.
func (w *Wallet) Offer(ctx context.Context, s string) (*CredentialOffer, error) {
	o, uri, err := ParseOffer(s)
	if err != nil || o != nil {
		return o, err
	}
	resp, err := w.cfg.Fetch.Get(ctx, uri, "application/json")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%w: credential_offer_uri answered %s", ErrInvalidOffer, truncate(resp.Status, 64))
	}
	return parseOfferJSON(resp.Body)
}

// Session is the state of one issuance: the offer, the issuer's metadata
// and, once redeemed, the access token. The access token must be kept
// secret.
type Session struct {
	Offer         *CredentialOffer
	Metadata      *IssuerMetadata
	Configuration string // the configuration id requested
	TokenEndpoint string
	accessToken   string
	expires       time.Time
}

// getJSONDoc fetches a JSON document and decodes it with
// strictjson.UnmarshalOpen (no duplicate members, exact names and numbers;
// unknown members ignored: metadata is extensible).
func (w *Wallet) getJSONDoc(ctx context.Context, u string, v any) error {
	resp, err := w.cfg.Fetch.Get(ctx, u, "application/json")
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("%w: %s answered %s", ErrInvalidRequest, truncate(u, 128), truncate(resp.Status, 64))
	}
	if err := strictjson.UnmarshalOpen(resp.Body, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidRequest, truncate(u, 128), err)
	}
	return nil
}

// wellKnown inserts a well-known suffix between an identifier's host and
// path (RFC 8414 §3.1).
func wellKnown(id, suffix string) string {
	u, _ := url.Parse(id)
	p := strings.TrimSuffix(u.Path, "/")
	u.Path = suffix + p
	return u.String()
}

// Start fetches the issuer's metadata and authorization server metadata
// for offer and picks the offered configuration of format [Format].
//
// Every URL the wallet later sends a secret to is tied to the credential
// issuer's metadata (PROFILE.md, "Endpoints"): the metadata's
// credential_issuer must equal the offer's; the offer's
// authorization_server, if any, must be exactly one of the metadata's
// authorization_servers, or the credential issuer itself when the metadata
// lists none (OpenID4VCI 1.0 §4.1.1); the authorization server metadata's
// issuer must equal the identifier it was fetched for (RFC 8414 §3.3); the
// credential and nonce endpoints must be on the credential issuer's
// origin (scheme, host and port) and the token endpoint on the
// authorization server's. Errors wrap [ErrInvalidOffer]; a configuration
// of another format is [ErrUnsupportedFormat].
func (w *Wallet) Start(ctx context.Context, offer *CredentialOffer) (*Session, error) {
	if err := offer.check(); err != nil {
		return nil, err
	}
	var m IssuerMetadata
	if err := w.getJSONDoc(ctx, wellKnown(offer.CredentialIssuer, PathIssuerMetadata), &m); err != nil {
		return nil, err
	}
	if m.CredentialIssuer != offer.CredentialIssuer {
		return nil, fmt.Errorf("%w: metadata names credential_issuer %q", ErrInvalidOffer, truncate(m.CredentialIssuer, 128))
	}
	if err := checkEndpoint(m.CredentialEndpoint, offer.CredentialIssuer); err != nil {
		return nil, fmt.Errorf("%w: credential_endpoint: %v", ErrInvalidOffer, err)
	}
	if m.NonceEndpoint == "" {
		return nil, fmt.Errorf("%w: the issuer has no nonce_endpoint", ErrInvalidOffer)
	}
	if err := checkEndpoint(m.NonceEndpoint, offer.CredentialIssuer); err != nil {
		return nil, fmt.Errorf("%w: nonce_endpoint: %v", ErrInvalidOffer, err)
	}
	s := &Session{Offer: offer, Metadata: &m}
	for _, id := range offer.CredentialConfigurationIDs {
		c := m.Configurations[id]
		if c == nil {
			continue
		}
		if c.Format != Format {
			return nil, fmt.Errorf("%w: configuration %q has format %q", ErrUnsupportedFormat, truncate(id, 64), truncate(c.Format, 64))
		}
		s.Configuration = id
		break
	}
	if s.Configuration == "" {
		return nil, fmt.Errorf("%w: no offered configuration is in the metadata", ErrInvalidOffer)
	}
	if err := checkDisplays(&m, m.Configurations[s.Configuration]); err != nil {
		return nil, err
	}
	as, err := authorizationServer(offer, &m)
	if err != nil {
		return nil, err
	}
	var a struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := w.getJSONDoc(ctx, wellKnown(as, PathASMetadata), &a); err != nil {
		return nil, err
	}
	if a.Issuer != as {
		return nil, fmt.Errorf("%w: authorization server metadata names issuer %q, fetched for %q", ErrInvalidOffer, truncate(a.Issuer, 128), truncate(as, 128))
	}
	if err := checkEndpoint(a.TokenEndpoint, as); err != nil {
		return nil, fmt.Errorf("%w: token_endpoint: %v", ErrInvalidOffer, err)
	}
	s.TokenEndpoint = a.TokenEndpoint
	return s, nil
}

// checkDisplays checks the display names and descriptions a wallet may
// show of the issuer and of configuration c (its own and its claims')
// with credential/display's rule. Errors wrap [ErrInvalidOffer] and
// display.ErrNotDisplayable.
func checkDisplays(m *IssuerMetadata, c *CredentialConfiguration) error {
	ds := m.Display
	if c != nil && c.Metadata != nil {
		ds = append(slices.Clip(ds), c.Metadata.Display...)
		for _, cl := range c.Metadata.Claims {
			ds = append(ds, cl.Display...)
		}
	}
	for _, d := range ds {
		for _, s := range [...]string{d.Name, d.Locale, d.Description} {
			if err := display.Check(s, false); err != nil {
				return fmt.Errorf("%w: metadata display: %w", ErrInvalidOffer, err)
			}
		}
	}
	return nil
}

// authorizationServer returns the authorization server of offer's
// Pre-Authorized Code grant: the offer's authorization_server if it is
// exactly one of the metadata's authorization_servers (or the credential
// issuer when the metadata lists none), else the metadata's first, else
// the credential issuer (OpenID4VCI 1.0 §4.1.1, §12.2.4).
func authorizationServer(offer *CredentialOffer, m *IssuerMetadata) (string, error) {
	listed := m.AuthorizationServers
	if len(listed) == 0 {
		listed = []string{offer.CredentialIssuer}
	}
	for _, as := range listed {
		if err := CheckIdentifier(as, true); err != nil {
			return "", fmt.Errorf("%w: metadata authorization_servers: %v", ErrInvalidOffer, err)
		}
	}
	g := offer.Grants.PreAuthorizedCode
	if g.AuthorizationServer == "" {
		return listed[0], nil
	}
	if !slices.Contains(listed, g.AuthorizationServer) {
		return "", fmt.Errorf("%w: authorization_server %q is not one of the credential issuer's authorization_servers", ErrInvalidOffer, truncate(g.AuthorizationServer, 128))
	}
	return g.AuthorizationServer, nil
}

// checkEndpoint checks an endpoint the wallet sends a secret to (a
// pre-authorized code and PIN, an access token, a key proof): an
// identifier-like URL (CheckIdentifier; it may have a path) on the origin
// of base, the credential issuer or authorization server identifier whose
// metadata named it: the same scheme, host and port, compared after
// lowercasing the scheme and host and making the default port explicit.
// The scheme itself (https, or http under fetch.Config.InsecureAllowHTTP)
// and the address are the fetch policy's.
func checkEndpoint(endpoint, base string) error {
	if err := CheckIdentifier(endpoint, true); err != nil {
		return err
	}
	if origin(endpoint) != origin(base) {
		return fmt.Errorf("%q is not on the origin of %q", truncate(endpoint, 128), truncate(base, 128))
	}
	return nil
}

// origin returns scheme://host:port of an absolute URL, lowercased, with
// the scheme's default port made explicit; "" if it does not parse.
func origin(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	scheme, port := strings.ToLower(u.Scheme), u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// post sends body and decodes a 200 JSON answer into v; an error answer
// becomes a [*ServerError].
func (w *Wallet) post(ctx context.Context, u, contentType string, body []byte, v any) error {
	resp, err := w.cfg.Fetch.Post(ctx, u, contentType, body, "application/json")
	if err != nil {
		return err
	}
	return decodeAnswer(resp, v)
}

// decodeAnswer decodes an issuer's answer with strictjson.UnmarshalOpen:
// responses may carry extension members.
func decodeAnswer(resp *fetch.Response, v any) error {
	if resp.StatusCode != 200 {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if strictjson.UnmarshalOpen(resp.Body, &e) != nil || e.Error == "" {
			return &ServerError{Status: resp.StatusCode, Code: "", Description: "no error object"}
		}
		return &ServerError{Status: resp.StatusCode, Code: e.Error, Description: e.Description}
	}
	if err := strictjson.UnmarshalOpen(resp.Body, v); err != nil {
		return fmt.Errorf("%w: response: %v", ErrInvalidRequest, err)
	}
	return nil
}

// Redeem exchanges the offer's pre-authorized code, with the transaction
// code pin when the offer asks for one, for an access token at the token
// endpoint. A refusal is a [*ServerError] (invalid_grant for a wrong PIN,
// a used or expired code or a locked offer).
func (w *Wallet) Redeem(ctx context.Context, s *Session, pin string) error {
	g := s.Offer.Grants.PreAuthorizedCode
	form := url.Values{"grant_type": {GrantPreAuthorizedCode}, "pre-authorized_code": {g.Code}}
	if g.TxCode != nil {
		form.Set("tx_code", pin)
	}
	var t TokenResponse
	if err := w.post(ctx, s.TokenEndpoint, "application/x-www-form-urlencoded", []byte(form.Encode()), &t); err != nil {
		return err
	}
	if t.AccessToken == "" || !strings.EqualFold(t.TokenType, "Bearer") {
		return fmt.Errorf("%w: token response without a Bearer access_token", ErrInvalidRequest)
	}
	s.accessToken = t.AccessToken
	if t.ExpiresIn > 0 {
		s.expires = w.cfg.Clock().Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	return nil
}

// Nonce fetches a fresh c_nonce from the issuer's nonce endpoint.
func (w *Wallet) Nonce(ctx context.Context, s *Session) (string, error) {
	var n NonceResponse
	if err := w.post(ctx, s.Metadata.NonceEndpoint, "application/x-www-form-urlencoded", nil, &n); err != nil {
		return "", err
	}
	if n.CNonce == "" || len(n.CNonce) > 512 {
		return "", fmt.Errorf("%w: nonce response without c_nonce", ErrInvalidRequest)
	}
	return n.CNonce, nil
}

// RequestCredential gets a c_nonce, signs a key proof of profile
// zkcred-commitment-proof-v1 with a fresh Ed25519 key carrying secret's
// commitment (the secret itself never leaves), requests the credential and
// checks it before returning it: it parses as a stored credential, it is
// bound to secret, and it verifies (credential.Stored.Verify with the
// configured resolver). Errors wrap [ErrInvalidCredential] for a bad
// credential; refusals are [*ServerError].
func (w *Wallet) RequestCredential(ctx context.Context, s *Session, secret *credential.HolderSecret) (*credential.Stored, error) {
	if s.accessToken == "" {
		return nil, fmt.Errorf("%w: the session has no access token (Redeem first)", ErrInvalidToken)
	}
	nonce, err := w.Nonce(ctx, s)
	if err != nil {
		return nil, err
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	proof, err := NewProof(key, s.Offer.CredentialIssuer, nonce, secret.Commitment(), w.cfg.Clock())
	if err != nil {
		return nil, err
	}
	return w.RequestCredentialWithProof(ctx, s, proof, secret)
}

// RequestCredentialWithProof is [Wallet.RequestCredential] with a key
// proof the caller made ([NewProof] with its own key, over a c_nonce from
// [Wallet.Nonce]): it sends the credential request and checks the
// credential as RequestCredential does. Sending the same proof again is an
// idempotent retry.
func (w *Wallet) RequestCredentialWithProof(ctx context.Context, s *Session, proof string, secret *credential.HolderSecret) (*credential.Stored, error) {
	if s.accessToken == "" {
		return nil, fmt.Errorf("%w: the session has no access token (Redeem first)", ErrInvalidToken)
	}
	body, err := marshal(CredentialRequest{ConfigurationID: s.Configuration, Proofs: &Proofs{JWT: []string{proof}}})
	if err != nil {
		return nil, err
	}
	resp, err := w.cfg.Fetch.PostAuthorized(ctx, s.Metadata.CredentialEndpoint, "application/json", body, "application/json", "Bearer "+s.accessToken)
	if err != nil {
		return nil, err
	}
	var r struct {
		Credentials []struct {
			Credential jsontext.Value `json:"credential"`
		} `json:"credentials"`
	}
	if err := decodeAnswer(resp, &r); err != nil {
		return nil, err
	}
	if len(r.Credentials) != 1 || len(r.Credentials[0].Credential) == 0 {
		return nil, fmt.Errorf("%w: want exactly one credential", ErrInvalidCredential)
	}
	st, err := credential.ParseStored(r.Credentials[0].Credential)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCredential, err)
	}
	if err := st.CheckHolder(secret); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCredential, err)
	}
	if _, err := st.Verify(ctx, w.cfg.Resolver, w.cfg.Verify); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCredential, err)
	}
	return st, nil
}

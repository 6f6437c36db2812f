package status

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
)

// Bitstring Status List credential and entry types and purposes (§2).
const (
	TypeStatusListCredential = "BitstringStatusListCredential"
	TypeStatusList           = "BitstringStatusList"
	TypeStatusListEntry      = "BitstringStatusListEntry"

	PurposeRevocation = "revocation" // not reversible
	PurposeSuspension = "suspension" // reversible
)

// ErrSuspended is returned by [CheckStatus] when the entry's bit is set in
// a suspension list.
var ErrSuspended = errors.New("status: credential suspended")

// Entry is a BitstringStatusListEntry (§2.1), the credentialStatus of a
// credential on the JWT path.
type Entry struct {
	ID                   string // optional; never the status list URL
	StatusPurpose        string
	StatusListIndex      string // base-10 digits
	StatusListCredential string // URL of the BitstringStatusListCredential
}

// Object returns the entry as a credentialStatus object.
func (e Entry) Object() credential.Object {
	return credential.Object{
		ID:   e.ID,
		Type: []string{TypeStatusListEntry},
		Props: map[string]any{
			"statusPurpose":        e.StatusPurpose,
			"statusListIndex":      e.StatusListIndex,
			"statusListCredential": e.StatusListCredential,
		},
	}
}

// ParseEntry reads a BitstringStatusListEntry from a credentialStatus
// object. statusSize other than 1 is not supported. Errors wrap
// [ErrMalformedList] (MALFORMED_VALUE_ERROR).
func ParseEntry(o credential.Object) (*Entry, error) {
	if !slices.Equal(o.Type, []string{TypeStatusListEntry}) {
		return nil, fmt.Errorf("%w: credentialStatus type %q", ErrMalformedList, o.Type)
	}
	str := func(k string) (string, error) {
		v, ok := o.Props[k].(string)
		if !ok || v == "" {
			return "", fmt.Errorf("%w: credentialStatus %s missing or not a string", ErrMalformedList, k)
		}
		return v, nil
	}
	var e Entry
	var err error
	e.ID = o.ID
	if e.StatusPurpose, err = str("statusPurpose"); err != nil {
		return nil, err
	}
	if e.StatusListIndex, err = str("statusListIndex"); err != nil {
		return nil, err
	}
	if _, err := ParseStatusListIndex(e.StatusListIndex); err != nil {
		return nil, err
	}
	if e.StatusListCredential, err = str("statusListCredential"); err != nil {
		return nil, err
	}
	if e.ID != "" && e.ID == e.StatusListCredential {
		return nil, fmt.Errorf("%w: entry id is the status list URL", ErrMalformedList)
	}
	if size, ok := o.Props["statusSize"]; ok && fmt.Sprint(size) != "1" {
		return nil, fmt.Errorf("%w: statusSize %v not supported", ErrMalformedList, size)
	}
	return &e, nil
}

// CheckConfig configures [CheckStatus]. The status list URL comes from
// the credential, so it is fetched under the policy of package
// [fetch] (public addresses only, checked when connecting; no proxy;
// redirects only within the same scheme and host; one deadline for the
// whole fetch; a size limit). The transport is built by [CheckStatus]:
// only TLSConfig is taken from the caller.
type CheckConfig struct {
	// TLSConfig is cloned and used for TLS (root CAs). Nil means the
	// system roots.
	TLSConfig *tls.Config
	// Resolver resolves the list issuer's DID.
	Resolver did.Resolver
	// Issuer is the DID the list must be issued by: the issuer of the
	// credential being checked. Required: a list signed by anyone else
	// proves nothing about the credential.
	Issuer string
	// AllowHTTP permits plain http:// status list URLs. Off by default: on
	// plain HTTP anyone on the path can replay an older signed list. For
	// local development and tests only.
	AllowHTTP bool
	// AllowPrivateAddresses permits fetching from loopback, private,
	// link-local and other special-purpose addresses. Off by default: the
	// URL is chosen by whoever wrote the credential, so this re-opens
	// server-side request forgery. For local development and tests only.
	AllowPrivateAddresses bool
	// Verify is passed to credential.VerifyJWT.
	Verify credential.VerifyOptions
	// MaxBytes bounds the fetched body; 0 means credential.MaxCredentialSize.
	MaxBytes int64
	// Timeout bounds the whole fetch, body included; 0 means
	// fetch.DefaultTimeout.
	Timeout time.Duration
}

// Result is the outcome of a status check (§3.2).
type Result struct {
	Index   uint64
	Purpose string
	Status  bool // the bit
	Valid   bool // Status == false
}

// CheckStatus checks the entry before any request (a known purpose, a
// status list URL that is https (http only with AllowHTTP), absolute,
// without user information or fragment, and not the entry's own id; an
// issuer that is a DID), fetches the entry's status list credential under
// the [fetch] policy (see [CheckConfig]), verifies it
// (credential.VerifyJWT), checks its type, id, issuer and purpose against
// the entry, expands the list (bounded) and reads the entry's bit.
//
// If the bit is set it returns the result together with an error wrapping
// [ErrRevoked] (purpose revocation) or [ErrSuspended] (suspension).
// Failures wrap [ErrConfig], [ErrStatusRetrieval] (with the [fetch]
// sentinel, such as [fetch.ErrForbiddenAddress], when the fetch policy
// refused), [ErrStatusVerification], [ErrMalformedList], [ErrListLength]
// or [ErrOutOfRange] (RANGE_ERROR).
func CheckStatus(ctx context.Context, cfg CheckConfig, e Entry) (*Result, error) {
	if cfg.Resolver == nil || cfg.Issuer == "" {
		return nil, fmt.Errorf("%w: CheckConfig needs Resolver and Issuer", ErrConfig)
	}
	if _, err := did.Parse(cfg.Issuer); err != nil {
		return nil, fmt.Errorf("%w: Issuer: %w", ErrConfig, err)
	}
	idx, err := ParseStatusListIndex(e.StatusListIndex)
	if err != nil {
		return nil, err
	}
	if e.StatusPurpose != PurposeRevocation && e.StatusPurpose != PurposeSuspension {
		return nil, fmt.Errorf("%w: statusPurpose %q not supported", ErrMalformedList, e.StatusPurpose)
	}
	if e.ID != "" && e.ID == e.StatusListCredential {
		return nil, fmt.Errorf("%w: entry id is the status list URL", ErrMalformedList)
	}
	token, err := fetchList(ctx, cfg, e.StatusListCredential)
	if err != nil {
		return nil, err
	}
	c, err := credential.VerifyJWT(ctx, cfg.Resolver, token, cfg.Verify)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStatusVerification, err)
	}
	bits, err := listFromCredential(c, cfg.Issuer, e)
	if err != nil {
		return nil, err
	}
	set, err := ListBit(bits, idx)
	if err != nil {
		return nil, err
	}
	res := &Result{Index: idx, Purpose: e.StatusPurpose, Status: set, Valid: !set}
	switch {
	case !set:
		return res, nil
	case e.StatusPurpose == PurposeRevocation:
		return res, fmt.Errorf("%w: status list %s index %d", ErrRevoked, e.StatusListCredential, idx)
	default:
		return res, fmt.Errorf("%w: status list %s index %d", ErrSuspended, e.StatusListCredential, idx)
	}
}

// fetchList checks the status list URL and fetches it under the fetch
// policy. Errors wrap ErrStatusRetrieval and the fetch sentinel.
func fetchList(ctx context.Context, cfg CheckConfig, listURL string) (string, error) {
	if err := fetch.CheckURL(listURL, cfg.AllowHTTP); err != nil {
		return "", fmt.Errorf("%w: statusListCredential %q: %w", ErrStatusRetrieval, truncate(listURL, 256), err)
	}
	if strings.Contains(listURL, "#") {
		return "", fmt.Errorf("%w: statusListCredential %q has a fragment", ErrStatusRetrieval, truncate(listURL, 256))
	}
	limit := cfg.MaxBytes
	if limit <= 0 {
		limit = credential.MaxCredentialSize
	}
	client, err := fetch.New(&fetch.Config{
		TLSConfig:                     cfg.TLSConfig,
		Timeout:                       cfg.Timeout,
		MaxBytes:                      limit,
		InsecureAllowHTTP:             cfg.AllowHTTP,
		InsecureAllowPrivateAddresses: cfg.AllowPrivateAddresses,
	})
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrConfig, err)
	}
	defer client.CloseIdleConnections()
	resp, err := client.Get(ctx, listURL, "application/vc+jwt")
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrStatusRetrieval, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: HTTP %d", ErrStatusRetrieval, resp.StatusCode)
	}
	return strings.TrimSpace(string(resp.Body)), nil
}

// truncate shortens untrusted text for error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// listFromCredential checks a verified status list credential against the
// entry and returns its expanded bitstring.
func listFromCredential(c *credential.Credential, issuer string, e Entry) ([]byte, error) {
	if !slices.Contains(c.Type, TypeStatusListCredential) {
		return nil, fmt.Errorf("%w: credential type %q lacks %s", ErrStatusVerification, c.Type, TypeStatusListCredential)
	}
	if c.ID != e.StatusListCredential { // the list must say it is the list the entry names
		return nil, fmt.Errorf("%w: list id %q differs from %q", ErrStatusVerification, c.ID, e.StatusListCredential)
	}
	if c.Issuer.ID != issuer {
		return nil, fmt.Errorf("%w: list issued by %q, want %q", ErrStatusVerification, c.Issuer.ID, issuer)
	}
	if len(c.CredentialSubject) != 1 {
		return nil, fmt.Errorf("%w: want one credentialSubject", ErrStatusVerification)
	}
	cl := c.CredentialSubject[0].Claims
	if t, _ := cl["type"].(string); t != TypeStatusList {
		return nil, fmt.Errorf("%w: subject type %v", ErrStatusVerification, cl["type"])
	}
	if !purposeMatches(cl["statusPurpose"], e.StatusPurpose) {
		return nil, fmt.Errorf("%w: list purpose %v does not include %q", ErrStatusVerification, cl["statusPurpose"], e.StatusPurpose)
	}
	enc, ok := cl["encodedList"].(string)
	if !ok {
		return nil, fmt.Errorf("%w: encodedList missing or not a string", ErrMalformedList)
	}
	return DecodeList(enc)
}

// purposeMatches: statusPurpose is a string or an array of strings (§2.2).
func purposeMatches(v any, want string) bool {
	switch p := v.(type) {
	case string:
		return p == want
	case []any:
		for _, x := range p {
			if s, ok := x.(string); ok && s == want {
				return true
			}
		}
	}
	return false
}

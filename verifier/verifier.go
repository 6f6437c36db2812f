package verifier

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/zkp"
)

// DefaultRequestTTL is how long a request accepts presentations when
// [Config.RequestTTL] is zero.
const DefaultRequestTTL = 5 * time.Minute

// Config configures a [Verifier]. Zero values are documented per field.
type Config struct {
	// Store keeps issued requests, recorded nullifiers and revocation
	// floors; instances that share it share all three. Required.
	Store Store
	// Audience identifies this verifier in every request (e.g. its
	// origin). Required.
	Audience string
	// Resolver resolves issuer DIDs (and the keys of signed revocation
	// roots). Required.
	Resolver did.Resolver
	// Roots supplies issuers' signed revocation roots (JWS, no witness):
	// setting it is what makes this verifier accept them, from Roots for
	// zkcred's own request format and carried by holders in OpenID4VP
	// vp_token values of version 1. A signed root gives no protection
	// against a split view (an issuer showing different roots to different
	// holders to tell them apart): set Log instead, or both while holders
	// move to checkpoints. At least one of Roots and Log is required.
	Roots RootSource
	// Log, if set, makes this verifier accept revocation roots from the
	// issuers' witnessed revocation logs: checkpoints with a quorum of
	// witness cosignatures, consistent with the latest one its Store
	// (which must implement [CheckpointStore]) holds per issuer (see
	// [LogPolicy]). Holders carry the checkpoint (OpenID4VP vp_token
	// value version 2); zkcred's own request format fetches the issuer's
	// latest checkpoint when Roots is nil.
	Log *LogPolicy
	// Key is the verifying key presentations must be made for; its shape
	// bounds what a policy may ask. Required.
	Key *zkp.VerifyingKey
	// Schemas are the credential schemas policies may refer to (by name
	// and version). At least one is required.
	Schemas []*credential.Schema
	// TrustedIssuers, if not empty, is the set of issuer DIDs a policy may
	// name; a policy naming any other is refused with ErrUntrustedIssuer.
	TrustedIssuers []string
	// IssuerKeys pins, per issuer DID, the ZK keys (DID URLs of
	// verification methods, exactly as holders name them) accepted from
	// that issuer; a presentation naming any other key of a pinned issuer
	// is refused with ErrUntrustedIssuer and ErrUnpinnedKey. Issuers
	// without an entry are not pinned (the default): any valid ZK key in
	// their DID document's assertionMethod is accepted, and since the
	// submission names the key in clear, an issuer that gives holders keys
	// of their own lets verifiers tell those holders apart (see "Issuer
	// keys and linkability" in the package doc). Pin one key per issuer
	// to keep every holder of an issuer in one anonymity set.
	IssuerKeys map[string][]string
	// RequestTTL is how long a request accepts presentations (zero:
	// DefaultRequestTTL; at most 24h).
	RequestTTL time.Duration
	// Location is the time zone of the verifier's calendar date, used for
	// age predicates (nil: UTC).
	Location *time.Location
	// Now returns the current time (nil: time.Now).
	Now func() time.Time
	// Rand is the source of nonces (nil: crypto/rand).
	Rand io.Reader
	// Logger receives one line per verification outcome, without the
	// presentation itself (nil: discard): [Verifier.Handler] logs each
	// refusal once at info level with its request id and [ErrorCode] code,
	// and each server-side failure (store, internal) at error level; no
	// line carries an attribute value, a secret or a proof.
	Logger *slog.Logger
	// Metrics, if not nil, registers the handler's Prometheus metrics
	// (requests by endpoint, outcome and code, verification latency,
	// store errors; see [Verifier.Handler]) with it; New fails if they
	// are already registered there. Nil: no metrics.
	Metrics prometheus.Registerer

	// OpenID4VP (see [Verifier.NewAuthorizationRequest]); all empty when
	// the verifier speaks only zkcred's own request format.

	// ClientDID is this verifier's DID: the client_id of its OpenID4VP
	// requests is "decentralized_identifier:" + ClientDID. If set,
	// SigningKey, SigningKeyID and BaseURL are required.
	ClientDID string
	// SigningKey signs Request Objects (Ed25519 or P-256); SigningKeyID is
	// its DID URL, a verification method of ClientDID's document in
	// authentication. It must be kept secret.
	SigningKey   crypto.Signer
	SigningKeyID string
	// EncryptionKey (P-256) decrypts direct_post.jwt responses; its public
	// key is published in each request's client_metadata with kid
	// EncryptionKeyID. Nil: direct_post only. It must be kept secret.
	EncryptionKey   *ecdsa.PrivateKey
	EncryptionKeyID string
	// BaseURL is the https URL (no trailing slash) under which Handler is
	// reachable: request_uri and response_uri are built from it.
	BaseURL string
	// InsecureHTTPBaseURL, development only, lets BaseURL be http:// (a
	// loopback verifier; its wallets must allow http too).
	InsecureHTTPBaseURL bool
	// OnResponse, if set, is called once per response VerifyResponse
	// checks for a request this verifier issued: with the result when
	// accepted, with the error (res nil) when refused, and once per
	// OpenID4VP error response naming a pending request (res nil, an
	// error wrapping [ErrHolderDeclined] for access_denied or
	// [ErrWalletError]; the request stays pending). An error response is
	// not authenticated: anyone who read the request object can send one,
	// so it must not hide a later acceptance. It lets the page that
	// showed a cross-device QR code learn the outcome (see also
	// [Verifier.AuthorizationResult]). It must not block for long.
	OnResponse func(ctx context.Context, requestID string, res *ResponseResult, err error)
}

// Verifier issues presentation requests and verifies the presentations
// that answer them. It is safe for concurrent use.
type Verifier struct {
	cfg     Config
	metrics *metrics
	hot     hotCaches // hotcache.go
	logc    logCaches // checkpoint_cache.go
}

// New returns a Verifier for cfg.
func New(cfg Config) (*Verifier, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("verifier: config: Store is required")
	}
	if cfg.Audience == "" || len(cfg.Audience) > protocol.MaxNameLen {
		return nil, fmt.Errorf("verifier: config: Audience is required (at most %d bytes)", protocol.MaxNameLen)
	}
	if cfg.Resolver == nil || (cfg.Roots == nil && cfg.Log == nil) || cfg.Key == nil {
		return nil, fmt.Errorf("verifier: config: Resolver, Key, and Roots or Log are required")
	}
	if cfg.Log != nil {
		lp, err := cfg.Log.checkConfig()
		if err != nil {
			return nil, err
		}
		if _, ok := cfg.Store.(CheckpointStore); !ok {
			return nil, fmt.Errorf("verifier: config: Log needs a Store that keeps checkpoints (CheckpointStore: OpenBolt, OpenPostgres)")
		}
		cfg.Log = lp
	}
	if len(cfg.Schemas) == 0 {
		return nil, fmt.Errorf("verifier: config: at least one schema is required")
	}
	for _, s := range cfg.Schemas {
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("verifier: config: %w", err)
		}
	}
	if cfg.RequestTTL == 0 {
		cfg.RequestTTL = DefaultRequestTTL
	}
	if cfg.RequestTTL < time.Second || cfg.RequestTTL > protocol.MaxRequestLifetime {
		return nil, fmt.Errorf("verifier: config: RequestTTL must be in [1s, %v]", protocol.MaxRequestLifetime)
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ClientDID != "" {
		if _, err := did.Parse(cfg.ClientDID); err != nil {
			return nil, fmt.Errorf("verifier: config: ClientDID: %w", err)
		}
		if cfg.SigningKey == nil || cfg.SigningKeyID == "" || cfg.BaseURL == "" {
			return nil, fmt.Errorf("verifier: config: ClientDID needs SigningKey, SigningKeyID and BaseURL")
		}
		if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "https" && (!cfg.InsecureHTTPBaseURL || u.Scheme != "http")) || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(cfg.BaseURL, "/") {
			return nil, fmt.Errorf("verifier: config: BaseURL %.200q must be an https URL without query, fragment or trailing slash", cfg.BaseURL)
		}
		if cfg.EncryptionKey != nil && (cfg.EncryptionKey.Curve != elliptic.P256() || cfg.EncryptionKeyID == "") {
			return nil, fmt.Errorf("verifier: config: EncryptionKey must be P-256, with an EncryptionKeyID")
		}
	}
	cfg.TrustedIssuers = slices.Clone(cfg.TrustedIssuers)
	cfg.Schemas = slices.Clone(cfg.Schemas)
	pins := make(map[string][]string, len(cfg.IssuerKeys))
	for iss, keys := range cfg.IssuerKeys {
		if _, err := did.Parse(iss); err != nil || len(keys) == 0 {
			return nil, fmt.Errorf("verifier: config: IssuerKeys[%.80q]: want an issuer DID and at least one key id", iss)
		}
		for _, k := range keys {
			u, err := did.ParseURL(k)
			if err != nil || u.DID.String() != iss || u.Fragment == "" {
				return nil, fmt.Errorf("verifier: config: IssuerKeys[%.80q]: %.200q is not a DID URL of a key of that issuer", iss, k)
			}
		}
		pins[iss] = slices.Clone(keys)
	}
	cfg.IssuerKeys = pins
	m, err := newMetrics(cfg.Metrics)
	if err != nil {
		return nil, err
	}
	return &Verifier{cfg: cfg, metrics: m}, nil
}

// NewRequest creates a request for policy with a fresh nonce, stores it and
// returns it. The policy's schema is looked up by name and version among
// Config.Schemas (its id is filled in if empty, and must match if not), and
// the request must compile for that schema and the key's shape. Errors wrap
// [ErrInvalidRequest], [ErrUntrustedIssuer] or [ErrStore].
func (v *Verifier) NewRequest(ctx context.Context, policy protocol.Policy) (*protocol.Request, error) {
	schema, err := v.schema(policy.Schema)
	if err != nil {
		return nil, err
	}
	if policy.Schema.ID == "" {
		policy.Schema.ID = v.schemaHex(schema)
	}
	if err := policy.Validate(); err != nil {
		return nil, err
	}
	if len(v.cfg.TrustedIssuers) > 0 {
		for _, iss := range policy.Issuers {
			if !slices.Contains(v.cfg.TrustedIssuers, iss) {
				return nil, fmt.Errorf("%w: %s is not among this verifier's trusted issuers", ErrUntrustedIssuer, iss)
			}
		}
	}
	nonce := make([]byte, protocol.NonceSize)
	if _, err := io.ReadFull(v.cfg.Rand, nonce); err != nil {
		return nil, fmt.Errorf("verifier: reading randomness: %w", err)
	}
	now := v.cfg.Now()
	// Copy the policy so the caller's slices are not shared.
	policy.Issuers = slices.Clone(policy.Issuers)
	policy.Predicates = slices.Clone(policy.Predicates)
	policy.Disclose = slices.Clone(policy.Disclose)
	r := &protocol.Request{
		Version:   protocol.RequestVersion,
		ID:        base64.RawURLEncoding.EncodeToString(nonce),
		Nonce:     nonce,
		Audience:  v.cfg.Audience,
		Policy:    policy,
		Date:      civilDate(now, v.cfg.Location).Format(time.DateOnly),
		IssuedAt:  now.Unix(),
		ExpiresAt: now.Add(v.cfg.RequestTTL).Unix(),
	}
	if _, err := r.Compile(schema, v.cfg.Key.Shape()); err != nil {
		return nil, err
	}
	body, err := r.JSON()
	if err != nil {
		return nil, err
	}
	err = v.cfg.Store.CreateRequest(ctx, &StoredRequest{
		ID: r.ID, Nonce: nonce, Body: body,
		ExpiresAt: time.Unix(r.ExpiresAt, 0).UTC(), CreatedAt: now.UTC(),
	})
	if err != nil {
		return nil, err
	}
	v.precompile(body) // compiled once per request (hotcache.go)
	return r, nil
}

// Request returns the stored request with the given id, as a wallet
// fetches it. Errors wrap [ErrUnknownRequest] or [ErrStore].
func (v *Verifier) Request(ctx context.Context, id string) (*protocol.Request, error) {
	if id == "" || len(id) > maxIDLen {
		return nil, ErrUnknownRequest
	}
	s, err := v.cfg.Store.GetRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if isOpenID4VP(s.Body) {
		return nil, fmt.Errorf("%w: %s is an OpenID4VP request", ErrUnknownRequest, id)
	}
	r, err := protocol.ParseRequest(s.Body)
	if err != nil {
		// The store holds what this package wrote: a parse failure is
		// corruption, not the caller's fault.
		return nil, fmt.Errorf("%w: stored request %s does not parse: %v", ErrStore, id, err)
	}
	return r, nil
}

// schema returns the configured schema ref names.
func (v *Verifier) schema(ref protocol.SchemaRef) (*credential.Schema, error) {
	for _, s := range v.cfg.Schemas {
		if s.Name == ref.Name && s.Version == ref.Version {
			if id := v.schemaHex(s); ref.ID != "" && ref.ID != id {
				return nil, fmt.Errorf("%w: schema %s v%d has id %s, not %s", protocol.ErrInvalidRequest, ref.Name, ref.Version, id, ref.ID)
			}
			return s, nil
		}
	}
	return nil, fmt.Errorf("%w: unknown schema %.80q version %d", protocol.ErrInvalidRequest, ref.Name, ref.Version)
}

// civilDate returns t's calendar date in loc as midnight UTC.
func civilDate(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

package verifier

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"
)

// DefaultRequestTTL is how long a request accepts presentations when
// [Config.RequestTTL] is zero.
const DefaultRequestTTL = 5 * time.Minute

// Config configures a [Verifier]. Zero values are documented per field.
type Config struct {
	// Store keeps issued requests and recorded nullifiers. Required.
	Store Store
	// Audience identifies this verifier in every request (e.g. its
	// origin). Required.
	Audience string
	// TrustedIssuers, if not empty, is the set of issuer DIDs a policy may
	// name; a policy naming any other is refused with ErrUntrustedIssuer.
	TrustedIssuers []string
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
	// presentation itself (nil: discard).
	Logger *slog.Logger
}

// Verifier issues presentation requests and verifies the presentations
// that answer them. It is safe for concurrent use.
type Verifier struct {
	cfg Config
}

// New returns a Verifier for cfg.
func New(cfg Config) (*Verifier, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("verifier: config: Store is required")
	}
	if cfg.Audience == "" || len(cfg.Audience) > maxNameLen {
		return nil, fmt.Errorf("verifier: config: Audience is required (at most %d bytes)", maxNameLen)
	}
	if cfg.RequestTTL == 0 {
		cfg.RequestTTL = DefaultRequestTTL
	}
	if cfg.RequestTTL < time.Second || cfg.RequestTTL > maxRequestLifetime {
		return nil, fmt.Errorf("verifier: config: RequestTTL must be in [1s, %v]", maxRequestLifetime)
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
	cfg.TrustedIssuers = slices.Clone(cfg.TrustedIssuers)
	return &Verifier{cfg: cfg}, nil
}

// NewRequest creates a request for policy with a fresh nonce, stores it and
// returns it. The policy must be well formed; errors wrap
// [ErrInvalidRequest], [ErrUntrustedIssuer] or [ErrStore].
func (v *Verifier) NewRequest(ctx context.Context, policy Policy) (*Request, error) {
	if err := policy.check(); err != nil {
		return nil, err
	}
	if len(v.cfg.TrustedIssuers) > 0 {
		for _, iss := range policy.Issuers {
			if !slices.Contains(v.cfg.TrustedIssuers, iss) {
				return nil, fmt.Errorf("%w: %s is not among this verifier's trusted issuers", ErrUntrustedIssuer, iss)
			}
		}
	}
	nonce := make([]byte, NonceSize)
	if _, err := io.ReadFull(v.cfg.Rand, nonce); err != nil {
		return nil, fmt.Errorf("verifier: reading randomness: %w", err)
	}
	now := v.cfg.Now()
	// Copy the policy so the caller's slices are not shared.
	policy.Issuers = slices.Clone(policy.Issuers)
	policy.Predicates = slices.Clone(policy.Predicates)
	policy.Disclose = slices.Clone(policy.Disclose)
	r := &Request{
		Version:   RequestVersion,
		ID:        base64.RawURLEncoding.EncodeToString(nonce),
		Nonce:     nonce,
		Audience:  v.cfg.Audience,
		Policy:    policy,
		Date:      civilDate(now, v.cfg.Location).Format(time.DateOnly),
		IssuedAt:  now.Unix(),
		ExpiresAt: now.Add(v.cfg.RequestTTL).Unix(),
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
	return r, nil
}

// Request returns the stored request with the given id, as a wallet
// fetches it. Errors wrap [ErrUnknownRequest] or [ErrStore].
func (v *Verifier) Request(ctx context.Context, id string) (*Request, error) {
	if id == "" || len(id) > maxIDLen {
		return nil, ErrUnknownRequest
	}
	s, err := v.cfg.Store.GetRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	r, err := ParseRequest(s.Body)
	if err != nil {
		// The store holds what this package wrote: a parse failure is
		// corruption, not the caller's fault.
		return nil, fmt.Errorf("%w: stored request %s does not parse: %v", ErrStore, id, err)
	}
	return r, nil
}

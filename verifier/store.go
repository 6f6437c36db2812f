package verifier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zkcred/zkcred/verifier/protocol"
)

// A Store holds the only state a verifier shares between calls and between
// instances: the requests it issued (each with a single-use nonce), the
// nullifiers recorded per scope, and per issuer the highest revocation-root
// sequence accepted (the floor below which a root is a rollback).
// Implementations are safe for concurrent use.
//
// [OpenBolt] is the embedded default for one process; [OpenPostgres] lets
// several verifier instances agree, through unique constraints and row
// locks, that a nonce is answered once, a nullifier is used once per scope
// and a floor only rises.
type Store interface {
	// CreateRequest records a newly issued request. It returns an error
	// wrapping [ErrDuplicateRequest] if a request with the same ID or
	// nonce exists.
	CreateRequest(ctx context.Context, r *StoredRequest) error

	// GetRequest returns the request with the given ID, or an error
	// wrapping [ErrUnknownRequest].
	GetRequest(ctx context.Context, id string) (*StoredRequest, error)

	// Answer atomically records an accepted answer: it marks request
	// a.RequestID answered at a.At, records a.Nullifier in a.Scope if the
	// scope is not empty, and raises the revocation-root floor of every
	// issuer of the answer (a.Issuer if not empty, and each of a.Roots) to
	// its root sequence: all of it happens, in one transaction, or none of
	// it does. A floor is never lowered, and concurrent raises keep the
	// highest. It returns an error wrapping [ErrUnknownRequest] if the
	// request does not exist, [ErrExpiredRequest] if a.At is not before its
	// expiry, [ErrReplay] if it was already answered, [ErrStaleRoot] if any
	// issuer's root sequence is below that issuer's floor (another answer,
	// possibly by another instance, accepted a newer root meanwhile) or
	// [ErrDuplicateNullifier] if the nullifier is already recorded in
	// scope.
	Answer(ctx context.Context, a *AnswerRecord) error

	// RootFloor returns the highest revocation-root sequence recorded by
	// Answer for issuer, or 0 if none was. A verifier refuses older roots
	// from that issuer: it is what makes a revocation stick across
	// restarts and instances.
	RootFloor(ctx context.Context, issuer string) (uint64, error)

	// DeleteExpired removes the requests whose expiry is at or before
	// t and returns how many it removed. Recorded nullifiers are kept.
	DeleteExpired(ctx context.Context, t time.Time) (int, error)

	// Close releases the store's resources.
	Close() error
}

// StoredRequest is what a [Store] keeps for one issued request.
type StoredRequest struct {
	ID        string    // the request's ID (derived from its nonce)
	Nonce     []byte    // the request's single-use nonce
	Body      []byte    // the request's JSON, as issued
	ExpiresAt time.Time // when the request stops accepting presentations
	CreatedAt time.Time
	// AnsweredAt is the time of the accepted answer, zero while unanswered.
	AnsweredAt time.Time
}

// AnswerRecord is what [Store.Answer] records for an accepted presentation.
type AnswerRecord struct {
	RequestID string
	At        time.Time // when the answer was accepted
	// Scope and Nullifier are set for scoped requests.
	Scope     string
	Nullifier []byte
	// Issuer and RootSequence name the signed revocation root the answer
	// was checked against; the store raises Issuer's floor to it.
	Issuer       string
	RootSequence uint64
	// Roots are further issuers' roots of the same answer (an OpenID4VP
	// response with credentials of several issuers); each is checked and
	// raised like Issuer's, in the same transaction. An issuer named more
	// than once must have each of its sequences at or above its floor, which
	// rises to the highest.
	Roots []AnswerRoot
}

// AnswerRoot is one issuer's revocation root of an [AnswerRecord].
type AnswerRoot struct {
	Issuer   string
	Sequence uint64
}

// answerFloor is what Answer checks and raises for one issuer: every
// sequence must be at least the floor (min is), and the floor rises to max.
type answerFloor struct {
	issuer   string
	min, max uint64
}

// floors returns a's issuers in order (a fixed lock order), each with the
// lowest and highest of its sequences.
func (a *AnswerRecord) floors() []answerFloor {
	var out []answerFloor
	add := func(iss string, seq uint64) {
		for i := range out {
			if out[i].issuer == iss {
				out[i].min, out[i].max = min(out[i].min, seq), max(out[i].max, seq)
				return
			}
		}
		out = append(out, answerFloor{iss, seq, seq})
	}
	if a.Issuer != "" {
		add(a.Issuer, a.RootSequence)
	}
	for _, r := range a.Roots {
		add(r.Issuer, r.Sequence)
	}
	slices.SortFunc(out, func(x, y answerFloor) int { return strings.Compare(x.issuer, y.issuer) })
	return out
}

// Stores keep times to the nanosecond (bbolt as int64 Unix nanoseconds), so
// request times must lie in [minStoreTime, maxStoreTime].
var (
	minStoreTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxStoreTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// maxNullifierLen and maxScopeLen bound what stores accept.
const (
	maxNullifierLen = 64
	maxScopeLen     = 256
	maxIDLen        = 128
	maxBodyLen      = 1 << 20
	maxIssuerLen    = 2048
	maxAnswerRoots  = 64
)

// storeSentinels are the outcomes a store reports as such; anything else is
// a failure of the store itself.
var storeSentinels = []error{ErrUnknownRequest, ErrReplay, ErrExpiredRequest, ErrDuplicateNullifier, ErrDuplicateRequest, protocol.ErrInvalidRequest, protocol.ErrMalformedPresentation, ErrStaleRoot}

func checkAnswer(a *AnswerRecord) error {
	if a == nil {
		return fmt.Errorf("%w: nil answer", protocol.ErrInvalidRequest)
	}
	if len(a.Issuer) > maxIssuerLen {
		return fmt.Errorf("%w: issuer too long", protocol.ErrInvalidRequest)
	}
	if len(a.Roots) > maxAnswerRoots {
		return fmt.Errorf("%w: more than %d issuer roots", protocol.ErrInvalidRequest, maxAnswerRoots)
	}
	for _, r := range a.Roots {
		if r.Issuer == "" || len(r.Issuer) > maxIssuerLen {
			return fmt.Errorf("%w: root issuer empty or too long", protocol.ErrInvalidRequest)
		}
	}
	return checkNullifier(a.Scope, a.Nullifier)
}

// staleFloor is the error of an answer whose root is below the floor.
func staleFloor(issuer string, seq, floor uint64) error {
	return fmt.Errorf("%w: revocation root sequence %d of %.200s is below %d, already accepted (rollback?)", ErrStaleRoot, seq, issuer, floor)
}

// storeErr passes the package's sentinels through and wraps anything else
// in [ErrStore].
func storeErr(backend string, err error) error {
	if err == nil {
		return nil
	}
	for _, s := range storeSentinels {
		if errors.Is(err, s) {
			return err
		}
	}
	return fmt.Errorf("%w: %s: %v", ErrStore, backend, err)
}

package verifier

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A Store holds the only state a verifier shares between calls and between
// instances: the requests it issued (each with a single-use nonce) and the
// nullifiers recorded per scope. Implementations are safe for concurrent use.
//
// [OpenBolt] is the embedded default for one process; [OpenPostgres] lets
// several verifier instances agree, through unique constraints, that a
// nonce is answered once and a nullifier is used once per scope.
type Store interface {
	// CreateRequest records a newly issued request. It returns an error
	// wrapping [ErrDuplicateRequest] if a request with the same ID or
	// nonce exists.
	CreateRequest(ctx context.Context, r *StoredRequest) error

	// GetRequest returns the request with the given ID, or an error
	// wrapping [ErrUnknownRequest].
	GetRequest(ctx context.Context, id string) (*StoredRequest, error)

	// Answer atomically marks the request answered at now and, if scope is
	// not empty, records nullifier in scope: both happen or neither does.
	// It returns an error wrapping [ErrUnknownRequest] if the request does
	// not exist, [ErrExpiredRequest] if now is not before its expiry,
	// [ErrReplay] if it was already answered, or [ErrDuplicateNullifier] if
	// the nullifier is already recorded in scope.
	Answer(ctx context.Context, id string, now time.Time, scope string, nullifier []byte) error

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
)

// storeSentinels are the outcomes a store reports as such; anything else is
// a failure of the store itself.
var storeSentinels = []error{ErrUnknownRequest, ErrReplay, ErrExpiredRequest, ErrDuplicateNullifier, ErrDuplicateRequest, ErrInvalidRequest, ErrMalformedPresentation}

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

// Package witness is a C2SP tlog-witness: it verifies that each checkpoint
// a log submits is signed by the log's key and consistent with the last
// one it cosigned for that log, refuses a second different checkpoint of
// the same size (a split view) and a smaller one, stores the new
// checkpoint durably, and only then returns its tlog-cosignature/v1
// cosignature.
//
// [Witness.Handler] serves POST add-checkpoint with the request and
// response layout of c2sp.org/tlog-witness; [OpenStore] is its bbolt
// store. Wallets do not import this package (it is not built for
// js/wasm).
package witness

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/zkcred/zkcred/credential/status/tlog"
)

// Sentinel errors of [Witness.AddCheckpoint]; [Witness.Handler] maps them
// to the tlog-witness status codes.
var (
	// ErrUnknownLog: no log with the checkpoint's origin is configured
	// (404 Not Found).
	ErrUnknownLog = errors.New("witness: unknown log")
	// ErrConflict: the request's old size is not the size of the last
	// checkpoint cosigned for the log, or a checkpoint of the same size
	// commits to another state (409 Conflict, body the witness's size).
	// It is returned as a *ConflictError.
	ErrConflict = errors.New("witness: old size does not match, or split view")
	// ErrBadRequest: the request does not parse, or its old size is
	// larger than the checkpoint's size (400 Bad Request).
	ErrBadRequest = errors.New("witness: bad request")
	// ErrBadProof: the consistency proof does not verify (422
	// Unprocessable Entity).
	ErrBadProof = errors.New("witness: consistency proof does not verify")
	// ErrStore: the state could not be read or stored durably (500).
	ErrStore = errors.New("witness: store failure")
)

// ConflictError is a 409 answer: Size is the size of the last checkpoint
// the witness cosigned for the log. It wraps [ErrConflict], and also
// [tlog.ErrSplitView] when the checkpoint has the same size as the stored
// one but commits to another state.
type ConflictError struct {
	Size      int64
	SplitView bool
}

func (e *ConflictError) Error() string {
	if e.SplitView {
		return fmt.Sprintf("witness: split view: another checkpoint of size %d was cosigned", e.Size)
	}
	return fmt.Sprintf("witness: the last cosigned checkpoint has size %d", e.Size)
}

// Unwrap returns ErrConflict and, for a split view, tlog.ErrSplitView.
func (e *ConflictError) Unwrap() []error {
	if e.SplitView {
		return []error{ErrConflict, tlog.ErrSplitView}
	}
	return []error{ErrConflict}
}

// Store keeps, per log origin, the last checkpoint note the witness
// cosigned. Implementations must be durable when Swap returns.
type Store interface {
	// Load returns the last cosigned checkpoint note of origin, or nil.
	Load(origin string) ([]byte, error)
	// Swap replaces the note of origin by next if it is still old (nil:
	// none), durably (synced to disk) before returning; it returns an
	// error wrapping ErrConflict if the stored note is not old.
	Swap(origin string, old, next []byte) error
}

// Config configures a [Witness].
type Config struct {
	// Name is the witness's key name, conventionally a schema-less URL
	// ("witness.example/zkcred").
	Name string
	// Key is the witness's Ed25519 private key.
	Key ed25519.PrivateKey
	// Logs are the logs it witnesses, by origin.
	Logs []*tlog.LogKey
	// Store keeps the state.
	Store Store
	// Now returns the cosignature time; nil means time.Now.
	Now func() time.Time
}

// Witness is a tlog-witness. It is safe for concurrent use: requests for
// the same log are serialized.
type Witness struct {
	cfg Config
}

// New returns a witness. Errors wrap [tlog.ErrInvalidOrigin] or
// [tlog.ErrUnsupportedKey].
func New(cfg Config) (*Witness, error) {
	return nil, errors.New("witness: not implemented yet")
}

// Key returns the witness's public key, the one verifiers list in their
// [tlog.Policy].
func (w *Witness) Key() *tlog.WitnessKey { return nil }

// AddCheckpoint handles one tlog-witness add-checkpoint request body and
// returns the cosignature line(s) to answer with. Errors wrap
// [ErrUnknownLog], [ErrConflict] (a *ConflictError), [ErrBadRequest],
// [ErrBadProof], [tlog.ErrBadSignature] (403) or [ErrStore].
func (w *Witness) AddCheckpoint(ctx context.Context, body []byte) ([]byte, error) {
	return nil, errors.New("witness: not implemented yet")
}

// Handler serves POST <prefix>/add-checkpoint (mount it where the prefix
// should be; any path is accepted), with bodies of at most
// [MaxRequestSize] bytes.
func (w *Witness) Handler() http.Handler {
	return http.NotFoundHandler()
}

// MaxRequestSize bounds an add-checkpoint request: the old size line, at
// most 63 proof lines and a checkpoint.
const MaxRequestSize = 16 + 63*45 + 1 + tlog.MaxCheckpointSize

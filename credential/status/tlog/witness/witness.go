// Package witness is a C2SP tlog-witness: it verifies that each checkpoint
// a log submits is signed by the log's key and consistent with the last
// one it cosigned for that log, refuses a second different checkpoint of
// the same size (a split view) and a smaller one, stores the new
// checkpoint durably, and only then returns its tlog-cosignature/v1
// cosignature.
//
// [Witness.Handler] serves POST add-checkpoint with the request and
// response layout of c2sp.org/tlog-witness; [OpenStore] is its bbolt
// store, left out of js/wasm builds (bbolt does not support them), so the
// package itself builds for js/wasm like the rest of credential/...
package witness

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/credential/status/tlog/internal/cosig"
	"github.com/zkcred/zkcred/credential/status/tlog/internal/wire"
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

// Error says which size the witness last cosigned.
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
	cfg  Config
	key  *tlog.WitnessKey
	logs map[string]*tlog.LogKey

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// New returns a witness. Errors wrap [tlog.ErrInvalidOrigin] or
// [tlog.ErrUnsupportedKey], or [ErrStore] for a nil Store.
func New(cfg Config) (*Witness, error) {
	if len(cfg.Key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: witness key of %d bytes, want an Ed25519 private key", tlog.ErrUnsupportedKey, len(cfg.Key))
	}
	k, err := tlog.NewWitnessKey(cfg.Name, cfg.Key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: no store", ErrStore)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	w := &Witness{cfg: cfg, key: k, logs: make(map[string]*tlog.LogKey), locks: make(map[string]*sync.Mutex)}
	for _, l := range cfg.Logs {
		if l == nil {
			return nil, fmt.Errorf("%w: nil log key", tlog.ErrInvalidOrigin)
		}
		if _, dup := w.logs[l.Origin()]; dup {
			return nil, fmt.Errorf("%w: log %q listed twice", tlog.ErrInvalidOrigin, l.Origin())
		}
		w.logs[l.Origin()] = l
	}
	return w, nil
}

// Key returns the witness's public key, the one verifiers list in their
// [tlog.Policy].
func (w *Witness) Key() *tlog.WitnessKey { return w.key }

func (w *Witness) lock(origin string) *sync.Mutex {
	w.mu.Lock()
	defer w.mu.Unlock()
	l, ok := w.locks[origin]
	if !ok {
		l = new(sync.Mutex)
		w.locks[origin] = l
	}
	return l
}

// AddCheckpoint handles one tlog-witness add-checkpoint request body and
// returns the cosignature line to answer with, after storing the
// checkpoint durably. It checks, in order: the request's layout, that the
// checkpoint's origin is a known log, the log's signature, that old size
// is not larger than the checkpoint's, that it is the size last cosigned
// for the log, that a checkpoint of that same size commits to the same
// state (root hash and indexed root: a stricter rule than tlog-witness,
// which compares root hashes only), and the consistency proof. Errors
// wrap [ErrBadRequest], [ErrUnknownLog], [tlog.ErrBadSignature] (403),
// [ErrConflict] (a *ConflictError), [ErrBadProof] or [ErrStore].
func (w *Witness) AddCheckpoint(ctx context.Context, body []byte) ([]byte, error) {
	if len(body) > MaxRequestSize {
		return nil, fmt.Errorf("%w: request of %d bytes, limit %d", ErrBadRequest, len(body), MaxRequestSize)
	}
	req, err := wire.ParseAddCheckpoint(body)
	if err != nil {
		return nil, fmt.Errorf("%w: the request is not old size, proof lines, empty line, checkpoint", ErrBadRequest)
	}
	cp, err := tlog.ParseCheckpoint(req.Checkpoint)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	key, ok := w.logs[cp.Origin]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLog, truncate(cp.Origin, 64))
	}
	if _, err := tlog.Open(req.Checkpoint, key); err != nil {
		return nil, err
	}
	if req.OldSize > cp.Size {
		return nil, fmt.Errorf("%w: old size %d is larger than the checkpoint's %d", ErrBadRequest, req.OldSize, cp.Size)
	}
	l := w.lock(cp.Origin)
	l.Lock()
	defer l.Unlock()
	storedNote, err := w.cfg.Store.Load(cp.Origin)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	var stored *tlog.Checkpoint
	var storedSize int64
	if storedNote != nil {
		if stored, err = tlog.ParseCheckpoint(storedNote); err != nil {
			return nil, fmt.Errorf("%w: stored checkpoint of %q: %w", ErrStore, truncate(cp.Origin, 64), err)
		}
		storedSize = stored.Size
	}
	if req.OldSize != storedSize {
		return nil, &ConflictError{Size: storedSize}
	}
	if stored == nil {
		if len(req.Proof) != 0 {
			return nil, fmt.Errorf("%w: a proof from size 0 must be empty", ErrBadProof)
		}
	} else {
		if cp.Size == stored.Size && !stored.Same(cp) {
			return nil, &ConflictError{Size: storedSize, SplitView: true}
		}
		if err := tlog.VerifyConsistency(stored, cp, req.Proof); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadProof, err)
		}
	}
	t := w.cfg.Now().Unix()
	if t < 0 {
		t = 0
	}
	line := cosig.Sign(w.key.Name(), w.cfg.Key, uint64(t), cp.Body())
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	if stored != nil && bytes.Equal(stored.Body(), cp.Body()) {
		// A replay of the stored checkpoint (its signed body; the
		// signature lines may differ): nothing new to store, so no synced
		// disk write for anyone who replays a public checkpoint.
		return line, nil
	}
	if err := w.cfg.Store.Swap(cp.Origin, storedNote, req.Checkpoint); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, &ConflictError{Size: storedSize}
		}
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	return line, nil
}

// Handler serves POST add-checkpoint (mount it at <prefix>/add-checkpoint;
// the handler does not look at the path), with request bodies of at most
// [MaxRequestSize] bytes and the tlog-witness status codes: 200 with the
// cosignature line, 400, 403, 404, 409 (body: the witness's size and a
// newline, Content-Type text/x.tlog.size), 422, 500; 405 for another
// method.
func (w *Witness) Handler() http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			rw.Header().Set("Allow", http.MethodPost)
			http.Error(rw, "use POST", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, MaxRequestSize))
		if err != nil {
			http.Error(rw, "request too large or unreadable", http.StatusBadRequest)
			return
		}
		line, err := w.AddCheckpoint(r.Context(), body)
		var ce *ConflictError
		switch {
		case err == nil:
			rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
			rw.Write(line)
		case errors.As(err, &ce):
			rw.Header().Set("Content-Type", "text/x.tlog.size")
			rw.WriteHeader(http.StatusConflict)
			fmt.Fprintf(rw, "%d\n", ce.Size)
		case errors.Is(err, ErrUnknownLog):
			http.Error(rw, err.Error(), http.StatusNotFound)
		case errors.Is(err, tlog.ErrBadSignature):
			http.Error(rw, err.Error(), http.StatusForbidden)
		case errors.Is(err, ErrBadProof):
			http.Error(rw, err.Error(), http.StatusUnprocessableEntity)
		case errors.Is(err, ErrBadRequest):
			http.Error(rw, err.Error(), http.StatusBadRequest)
		default:
			http.Error(rw, "witness: internal error", http.StatusInternalServerError)
		}
	})
}

// MaxRequestSize bounds an add-checkpoint request: the old size line, at
// most 63 proof lines and a checkpoint.
const MaxRequestSize = 32 + 63*45 + 1 + tlog.MaxCheckpointSize

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

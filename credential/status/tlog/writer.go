package tlog

import (
	"context"
	"crypto"
	"time"

	"github.com/zkcred/zkcred/did/fetch"
)

// Poster sends an HTTP POST; [*fetch.Client] implements it (the project's
// one outbound HTTP policy). Tests use a fetch.Client with the
// development options against an httptest server.
type Poster interface {
	Post(ctx context.Context, rawURL, contentType string, body []byte, accept string) (*fetch.Response, error)
}

// WitnessEndpoint is a witness a [Writer] asks for cosignatures: its key
// and the URL of its tlog-witness add-checkpoint endpoint (for instance
// "https://witness.example/add-checkpoint").
type WitnessEndpoint struct {
	Key *WitnessKey
	URL string
}

// WriterConfig configures a [Writer].
type WriterConfig struct {
	// Dir is the directory served to the public: it receives
	// "checkpoint", "tile/<L>/<N>[.p/<W>]" and
	// "tile/entries/<N>[.p/<W>]". It is created if missing.
	Dir string
	// Origin is the log's origin ([RevocationOrigin], [KeysOrigin]).
	Origin string
	// Kind is the log's kind.
	Kind Kind
	// Key signs checkpoints: the agency's Ed25519 key, the one its DID
	// document lists for the log ([LogKeyFromMethod]); Public() must
	// return an ed25519.PublicKey.
	Key crypto.Signer
	// Depth is the indexed tree's depth (revocation logs; fixed for the
	// life of the log).
	Depth int
	// Witnesses are asked for cosignatures after each checkpoint.
	Witnesses []WitnessEndpoint
	// HTTP sends the witness requests; required when Witnesses is not
	// empty.
	HTTP Poster
	// Now returns the time written in checkpoints; nil means time.Now.
	Now func() time.Time
}

// Writer is the agency side of a log: it appends entries, writes the
// tiles and the signed, cosigned checkpoint to its directory. Each file
// is written to a temporary file, synced and renamed into place, the
// checkpoint last, so a reader (or a crash) never sees a checkpoint whose
// tiles are missing; full tiles never change once written. One Writer
// per directory at a time (the registry's single writer guarantees it).
// Its methods are safe for concurrent use.
type Writer struct {
	cfg WriterConfig
}

// OpenWriter opens the log in cfg.Dir, or creates an empty one (size 0,
// signed at once). On reopening it checks that the stored checkpoint
// verifies with cfg.Key and is for cfg.Origin and cfg.Kind (and Depth),
// and ignores any tile beyond the checkpoint a crash may have left.
// Errors wrap [ErrWriter], [ErrBadSignature], [ErrUnsupportedKey],
// [ErrInvalidOrigin] or [ErrMalformedCheckpoint].
func OpenWriter(ctx context.Context, cfg WriterConfig) (*Writer, error) {
	return nil, errNotImplemented
}

// AppendRevocations appends revoked ids (a revocation log) and publishes
// a checkpoint committing to root, the indexed tree's state after them
// (same depth as the log; the caller, the registry, computed it). An
// empty ids publishes root for the unchanged log (a refresh). It returns
// the published checkpoint; an error wrapping [ErrWitness] means it was
// published with fewer cosignatures than witnesses. Other errors wrap
// [ErrWriter] or [ErrMalformedEntry]; then nothing was published.
func (w *Writer) AppendRevocations(ctx context.Context, ids []uint64, root IndexedRoot) (*Checkpoint, error) {
	return nil, errNotImplemented
}

// AppendDocument appends a DID document version (a keys log; at most
// [MaxDocumentEntrySize] bytes that [did.ParseDocument] accepts) and
// publishes a checkpoint, as [Writer.AppendRevocations] does.
func (w *Writer) AppendDocument(ctx context.Context, doc []byte) (*Checkpoint, error) {
	return nil, errNotImplemented
}

// Refresh re-signs the current state with the current time and asks the
// witnesses again, so that clients see a fresh checkpoint while nothing
// changes.
func (w *Writer) Refresh(ctx context.Context) (*Checkpoint, error) {
	return nil, errNotImplemented
}

// Checkpoint returns the last published checkpoint.
func (w *Writer) Checkpoint() *Checkpoint { return nil }

// Size returns the number of entries in the log.
func (w *Writer) Size() int64 { return 0 }

// LogKey returns the key clients verify the log's checkpoints with.
func (w *Writer) LogKey() *LogKey { return nil }

package tlog

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	sumtlog "golang.org/x/mod/sumdb/tlog"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog/internal/cosig"
	"github.com/zkcred/zkcred/credential/status/tlog/internal/wire"
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
	cfg    WriterConfig
	key    *LogKey
	signer note.Signer

	mu          sync.Mutex
	cp          *Checkpoint      // last published, with Note the cosigned note
	witnessSize map[string]int64 // last size each witness cosigned, by URL
}

// OpenWriter opens the log in cfg.Dir, or creates an empty one (size 0,
// signed at once). On reopening it checks that the stored checkpoint
// verifies with cfg.Key, is for cfg.Origin and cfg.Kind (and Depth), and
// that the right-edge tiles on disk hash to it; tiles beyond the
// checkpoint that a crash may have left are overwritten by the next
// append. Errors wrap
// [ErrWriter], [ErrBadSignature], [ErrUnsupportedKey], [ErrInvalidOrigin]
// or [ErrMalformedCheckpoint]; an error wrapping [ErrWitness] comes with
// a usable Writer (the empty log was published without all
// cosignatures).
func OpenWriter(ctx context.Context, cfg WriterConfig) (*Writer, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("%w: no directory", ErrWriter)
	}
	if cfg.Key == nil {
		return nil, fmt.Errorf("%w: no signing key", ErrUnsupportedKey)
	}
	pub, ok := cfg.Key.Public().(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: signing key is a %T", ErrUnsupportedKey, cfg.Key.Public())
	}
	key, err := NewLogKey(cfg.Origin, pub)
	if err != nil {
		return nil, err
	}
	switch cfg.Kind {
	case KindRevocation:
		if cfg.Depth < 1 || cfg.Depth > status.MaxDepth {
			return nil, fmt.Errorf("%w: depth %d", ErrWriter, cfg.Depth)
		}
	case KindKeys:
		if cfg.Depth != 0 {
			return nil, fmt.Errorf("%w: a keys log has no depth", ErrWriter)
		}
	default:
		return nil, fmt.Errorf("%w: kind %v", ErrWriter, cfg.Kind)
	}
	for _, ep := range cfg.Witnesses {
		if ep.Key == nil || ep.URL == "" {
			return nil, fmt.Errorf("%w: witness without key or URL", ErrWriter)
		}
	}
	if len(cfg.Witnesses) > MaxWitnesses {
		return nil, fmt.Errorf("%w: more than %d witnesses", ErrWriter, MaxWitnesses)
	}
	if len(cfg.Witnesses) > 0 && cfg.HTTP == nil {
		return nil, fmt.Errorf("%w: witnesses but no HTTP client", ErrWriter)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	w := &Writer{cfg: cfg, key: key, witnessSize: make(map[string]int64)}
	w.signer = &noteSigner{name: cfg.Origin, hash: noteKeyHash(cfg.Origin, 0x01, pub), key: cfg.Key}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWriter, err)
	}
	b, err := readFileLimit(filepath.Join(cfg.Dir, "checkpoint"), MaxCheckpointSize)
	if errors.Is(err, fs.ErrNotExist) {
		empty := &Checkpoint{Origin: cfg.Origin, Kind: cfg.Kind, Hash: emptyTreeHash()}
		if cfg.Kind == KindRevocation {
			t, err := status.NewTree(cfg.Depth, status.RevocationMax())
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrWriter, err)
			}
			empty.Indexed = IndexedRoot{Depth: cfg.Depth, Root: t.Root()}
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		err := w.publish(ctx, empty, &hashStore{dir: cfg.Dir})
		if err != nil && !errors.Is(err, ErrWitness) {
			return nil, err
		}
		return w, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWriter, err)
	}
	cp, sigs, err := parseNote(b)
	if err != nil {
		return nil, err
	}
	if err := cp.verifyLog(key); err != nil {
		return nil, err
	}
	if cp.Kind != cfg.Kind || cp.Indexed.Depth != cfg.Depth {
		return nil, fmt.Errorf("%w: the log in %s is a %v log of depth %d", ErrWriter, cfg.Dir, cp.Kind, cp.Indexed.Depth)
	}
	if h, err := sumtlog.TreeHash(cp.Size, &hashStore{dir: cfg.Dir, n: cp.Size}); err != nil || h != sumtlog.Hash(cp.Hash) {
		return nil, fmt.Errorf("%w: the tiles in %s do not hash to the checkpoint (%v)", ErrWriter, cfg.Dir, err)
	}
	for _, ep := range cfg.Witnesses {
		for _, s := range sigs {
			if s.name == ep.Key.name && s.hash == ep.Key.hash {
				if t, ok := cosig.Verify(ep.Key.pub, cp.Body(), s.sig); ok {
					w.witnessSize[ep.URL] = cp.Size
					cp.Cosignatures = append(cp.Cosignatures, Cosignature{Witness: ep.Key.name, Time: time.Unix(int64(t), 0).UTC()})
				}
			}
		}
	}
	w.cp = cp
	return w, nil
}

// AppendRevocations appends revoked ids (a revocation log) and publishes
// a checkpoint committing to root, the indexed tree's state after them
// (the log's depth, a larger sequence; the caller, the registry, computed
// it; the Writer does not recompute the Poseidon2 tree). Empty ids
// publishes the unchanged state with a new time, as [Writer.Refresh]. It
// returns the published checkpoint; with an error wrapping [ErrWitness]
// the checkpoint was published with fewer cosignatures than witnesses.
// Other errors wrap [ErrWriter] or [ErrMalformedEntry]; then no new
// checkpoint was published.
func (w *Writer) AppendRevocations(ctx context.Context, ids []uint64, root IndexedRoot) (*Checkpoint, error) {
	if w.cfg.Kind != KindRevocation {
		return nil, fmt.Errorf("%w: AppendRevocations on a %v log", ErrWriter, w.cfg.Kind)
	}
	entries := make([][]byte, len(ids))
	for i, id := range ids {
		e, err := RevocationEntry(id)
		if err != nil {
			return nil, err
		}
		entries[i] = e
	}
	if root.Depth != w.cfg.Depth {
		return nil, fmt.Errorf("%w: indexed root of depth %d, the log's is %d", ErrWriter, root.Depth, w.cfg.Depth)
	}
	return w.append(ctx, entries, &root)
}

// AppendDocument appends a DID document version (a keys log; at most
// [MaxDocumentEntrySize] bytes that [did.ParseDocument] accepts) and
// publishes a checkpoint, as [Writer.AppendRevocations] does.
func (w *Writer) AppendDocument(ctx context.Context, doc []byte) (*Checkpoint, error) {
	if w.cfg.Kind != KindKeys {
		return nil, fmt.Errorf("%w: AppendDocument on a %v log", ErrWriter, w.cfg.Kind)
	}
	if _, err := ParseDocumentEntry(doc); err != nil {
		return nil, err
	}
	return w.append(ctx, [][]byte{bytes.Clone(doc)}, nil)
}

// Refresh re-signs the current state with the current time and asks the
// witnesses again, so that clients see a fresh checkpoint while nothing
// changes. Errors as [Writer.AppendRevocations].
func (w *Writer) Refresh(ctx context.Context) (*Checkpoint, error) {
	return w.append(ctx, nil, nil)
}

// Checkpoint returns the last published checkpoint (Note is the cosigned
// note served as "checkpoint").
func (w *Writer) Checkpoint() *Checkpoint {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cp.clone()
}

// Size returns the number of entries in the log.
func (w *Writer) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cp.Size
}

// LogKey returns the key clients verify the log's checkpoints with.
func (w *Writer) LogKey() *LogKey { return w.key }

func (c *Checkpoint) clone() *Checkpoint {
	o := *c
	o.Cosignatures = slices.Clone(c.Cosignatures)
	o.Note = bytes.Clone(c.Note)
	return &o
}

func (w *Writer) append(ctx context.Context, entries [][]byte, root *IndexedRoot) (*Checkpoint, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	old := w.cp
	next := &Checkpoint{Origin: old.Origin, Kind: old.Kind, Size: old.Size, Hash: old.Hash, Indexed: old.Indexed}
	if root != nil {
		switch {
		case len(entries) == 0 && (root.Sequence != old.Indexed.Sequence || !root.Root.Equal(&old.Indexed.Root)):
			return nil, fmt.Errorf("%w: a new indexed root without new entries", ErrWriter)
		case len(entries) > 0 && root.Sequence <= old.Indexed.Sequence:
			return nil, fmt.Errorf("%w: sequence %d after %d", ErrWriter, root.Sequence, old.Indexed.Sequence)
		}
		next.Indexed = *root
	}
	if old.Kind == KindRevocation && next.Indexed.Depth < 64 && uint64(old.Size)+uint64(len(entries)) >= uint64(1)<<uint(next.Indexed.Depth) {
		return nil, fmt.Errorf("%w: %d entries do not fit an indexed tree of depth %d", ErrWriter, old.Size+int64(len(entries)), next.Indexed.Depth)
	}
	hs := &hashStore{dir: w.cfg.Dir, n: old.Size, pending: make(map[int64]sumtlog.Hash)}
	if len(entries) > 0 {
		if err := w.writeEntries(hs, entries); err != nil {
			return nil, err
		}
		h, err := sumtlog.TreeHash(hs.n, hs)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrWriter, err)
		}
		next.Size, next.Hash = hs.n, [32]byte(h)
	}
	err := w.publish(ctx, next, hs)
	if err != nil && !errors.Is(err, ErrWitness) {
		return nil, err
	}
	return w.cp.clone(), err
}

// writeEntries computes the new stored hashes and writes the new hash
// tiles and entry bundles (not the checkpoint); hs.n becomes the new size.
func (w *Writer) writeEntries(hs *hashStore, entries [][]byte) error {
	oldN := hs.n
	for i, e := range entries {
		n := oldN + int64(i)
		hashes, err := sumtlog.StoredHashes(n, e, hs)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrWriter, err)
		}
		base := sumtlog.StoredHashIndex(0, n)
		for j, h := range hashes {
			hs.pending[base+int64(j)] = h
		}
	}
	newN := oldN + int64(len(entries))
	fb := newFileBatch(w.cfg.Dir)
	defer fb.abort()
	for _, t := range sumtlog.NewTiles(wire.TileHeight, oldN, newN) {
		data, err := sumtlog.ReadTileData(t, hs)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrWriter, err)
		}
		if err := fb.add(wire.TilePath(t), data); err != nil {
			return err
		}
	}
	for b := oldN / wire.TileWidth; b*wire.TileWidth < newN; b++ {
		start := b * wire.TileWidth
		var data []byte
		if start < oldN {
			t := sumtlog.Tile{H: wire.TileHeight, L: -1, N: b, W: int(oldN - start)}
			old, err := readFileLimit(filepath.Join(w.cfg.Dir, filepath.FromSlash(wire.TilePath(t))), int64(t.W)*int64(2+maxEntrySize(w.cfg.Kind)))
			if err != nil {
				return fmt.Errorf("%w: %w", ErrWriter, err)
			}
			if _, err := wire.ReadBundle(old, t.W, maxEntrySize(w.cfg.Kind)); err != nil {
				return fmt.Errorf("%w: stored entry bundle %s is corrupt", ErrWriter, wire.TilePath(t))
			}
			data = old
		}
		end := min(start+wire.TileWidth, newN)
		for i := max(start, oldN); i < end; i++ {
			data = wire.AppendBundle(data, entries[i-oldN])
		}
		t := sumtlog.Tile{H: wire.TileHeight, L: -1, N: b, W: int(end - start)}
		if err := fb.add(wire.TilePath(t), data); err != nil {
			return err
		}
	}
	if err := fb.commit(); err != nil {
		return err
	}
	hs.n = newN
	hs.files = nil
	return nil
}

func maxEntrySize(k Kind) int {
	if k == KindRevocation {
		return RevocationEntrySize
	}
	return MaxDocumentEntrySize
}

// publish signs next (time now, never before the last), gathers the
// witnesses' cosignatures, writes "checkpoint" and makes next the state.
// hs reads the hashes of next's tree. Called with w.mu held.
func (w *Writer) publish(ctx context.Context, next *Checkpoint, hs *hashStore) error {
	now := w.cfg.Now().UTC().Truncate(time.Second)
	if w.cp != nil && now.Before(w.cp.Time) {
		now = w.cp.Time
	}
	next.Time = now
	signed, err := note.Sign(&note.Note{Text: string(next.Body())}, w.signer)
	if err != nil {
		return fmt.Errorf("%w: signing: %w", ErrBadSignature, err)
	}
	lines := make([][]byte, len(w.cfg.Witnesses))
	errs := make([]error, len(w.cfg.Witnesses))
	var wg sync.WaitGroup
	for i, ep := range w.cfg.Witnesses {
		wg.Go(func() { lines[i], errs[i] = w.cosign(ctx, ep, signed, next, hs) })
	}
	wg.Wait()
	full := bytes.Clone(signed)
	var cos []Cosignature
	for i, l := range lines {
		if l != nil {
			full = append(full, l...)
			cos = append(cos, Cosignature{Witness: w.cfg.Witnesses[i].Key.name, Time: now})
		}
	}
	parsed, _, err := parseNote(full)
	if err != nil {
		return fmt.Errorf("%w: the assembled checkpoint does not parse: %w", ErrWriter, err)
	}
	fb := newFileBatch(w.cfg.Dir)
	if err := fb.add("checkpoint", full); err != nil {
		fb.abort()
		return err
	}
	if err := fb.commit(); err != nil {
		return err
	}
	parsed.Cosignatures = cos
	w.cp = parsed
	for i, l := range lines {
		if l != nil {
			w.witnessSize[w.cfg.Witnesses[i].URL] = next.Size
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrWitness, err)
	}
	return nil
}

// cosign runs the tlog-witness add-checkpoint exchange with one witness
// and returns its verified cosignature line.
func (w *Writer) cosign(ctx context.Context, ep WitnessEndpoint, signed []byte, next *Checkpoint, hs *hashStore) ([]byte, error) {
	old := w.witnessSize[ep.URL]
	for attempt := 0; ; attempt++ {
		if old > next.Size {
			return nil, fmt.Errorf("witness %s has cosigned size %d, larger than this log's %d: %w", ep.Key.name, old, next.Size, ErrInconsistent)
		}
		req := wire.AddCheckpoint{OldSize: old, Checkpoint: signed}
		if old > 0 && old < next.Size {
			p, err := sumtlog.ProveTree(next.Size, old, hs)
			if err != nil {
				return nil, fmt.Errorf("%w: consistency proof: %w", ErrWriter, err)
			}
			for _, h := range p {
				req.Proof = append(req.Proof, [32]byte(h))
			}
		}
		resp, err := w.cfg.HTTP.Post(ctx, ep.URL, "text/plain; charset=utf-8", req.Marshal(), "")
		if err != nil {
			return nil, fmt.Errorf("witness %s: %w", ep.Key.name, err)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			line, err := findCosignature(resp.Body, ep.Key, next.Body())
			if err != nil {
				return nil, fmt.Errorf("witness %s: %w", ep.Key.name, err)
			}
			// A line that would make the published note unparsable is
			// refused here, one witness at a time, never for the whole
			// checkpoint.
			if _, _, err := parseNote(append(bytes.Clone(signed), line...)); err != nil {
				return nil, fmt.Errorf("witness %s: cosignature line: %w", ep.Key.name, err)
			}
			return line, nil
		case http.StatusConflict:
			s, ok := strings.CutSuffix(string(resp.Body), "\n")
			n, err := wire.ParseSize(s)
			if attempt > 0 || !ok || err != nil || n == old {
				return nil, fmt.Errorf("witness %s: conflict (409) at size %q: %w", ep.Key.name, truncate(string(resp.Body), 24), ErrSplitView)
			}
			old = n
		default:
			return nil, fmt.Errorf("witness %s: %s: %s", ep.Key.name, resp.Status, truncate(strings.TrimSpace(string(resp.Body)), 200))
		}
	}
}

// findCosignature returns the line of body (signature lines) that is a
// valid cosignature of k on cpBody.
func findCosignature(body []byte, k *WitnessKey, cpBody []byte) ([]byte, error) {
	if len(body) > 4<<10 || len(body) == 0 || body[len(body)-1] != '\n' {
		return nil, fmt.Errorf("%w: cosignature response", ErrMalformedProof)
	}
	for _, line := range bytes.SplitAfter(body, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte(sigPrefix))
		if !ok {
			continue
		}
		name, b64, ok := bytes.Cut(bytes.TrimSuffix(rest, []byte("\n")), []byte(" "))
		if !ok || string(name) != k.name {
			continue
		}
		// Strict base64 still skips '\r' and '\n': insist on the canonical
		// encoding, as parseNote does, or a witness could hand back a
		// valid cosignature in a line that makes the assembled checkpoint
		// unparsable and so stop the log from publishing.
		raw, err := base64.StdEncoding.Strict().DecodeString(string(b64))
		if err != nil || len(raw) != 4+cosig.SigSize || binary.BigEndian.Uint32(raw) != k.hash ||
			base64.StdEncoding.EncodeToString(raw) != string(b64) {
			continue
		}
		if _, ok := cosig.Verify(k.pub, cpBody, raw[4:]); ok {
			return bytes.Clone(line), nil
		}
	}
	return nil, fmt.Errorf("%w: no valid cosignature of %s in the response", ErrBadSignature, k.name)
}

// noteSigner signs checkpoints with a crypto.Signer holding an Ed25519
// key (an HSM's, for instance).
type noteSigner struct {
	name string
	hash uint32
	key  crypto.Signer
}

func (s *noteSigner) Name() string    { return s.name }
func (s *noteSigner) KeyHash() uint32 { return s.hash }
func (s *noteSigner) Sign(msg []byte) ([]byte, error) {
	return s.key.Sign(nil, msg, crypto.Hash(0))
}

func emptyTreeHash() [32]byte {
	h, _ := sumtlog.TreeHash(0, nil)
	return [32]byte(h)
}

// hashStore reads the stored hashes of the log in dir at size n from its
// hash tiles, and the hashes of entries being appended from pending. The
// witnesses' proofs read it concurrently: mu guards files.
type hashStore struct {
	mu      sync.Mutex
	dir     string
	n       int64
	pending map[int64]sumtlog.Hash
	files   map[string][]byte
}

func (s *hashStore) ReadHashes(indexes []int64) ([]sumtlog.Hash, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]sumtlog.Hash, len(indexes))
	for i, x := range indexes {
		if h, ok := s.pending[x]; ok {
			out[i] = h
			continue
		}
		t := sumtlog.TileForIndex(wire.TileHeight, x)
		count := s.n >> (uint(t.L) * wire.TileHeight)
		w := min(int64(wire.TileWidth), count-t.N*wire.TileWidth)
		if w < int64(t.W) {
			return nil, fmt.Errorf("%w: hash %d is not in the tree of size %d", ErrWriter, x, s.n)
		}
		t.W = int(w)
		p := wire.TilePath(t)
		data, ok := s.files[p]
		if !ok {
			var err error
			data, err = readFileLimit(filepath.Join(s.dir, filepath.FromSlash(p)), int64(t.W)*sumtlog.HashSize)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrWriter, err)
			}
			if s.files == nil {
				s.files = make(map[string][]byte)
			}
			s.files[p] = data
		}
		h, err := sumtlog.HashFromTile(t, data, x)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrWriter, p, err)
		}
		out[i] = h
	}
	return out, nil
}

// readFileLimit reads a file of at most limit bytes.
func readFileLimit(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return b, nil
}

// fileBatch writes files atomically: each to a temporary file in its
// directory; commit syncs them all (concurrently: the disk's sync latency
// is paid about once, not once a file), renames them into place and syncs
// the directories, so the renames survive a crash.
type fileBatch struct {
	dir   string
	files []pendingFile
	dirs  map[string]bool
}

type pendingFile struct {
	f        *os.File
	tmp, dst string
}

func newFileBatch(dir string) *fileBatch { return &fileBatch{dir: dir, dirs: make(map[string]bool)} }

// add writes data to a temporary file for dir/rel.
func (fb *fileBatch) add(rel string, data []byte) error {
	p := filepath.Join(fb.dir, filepath.FromSlash(rel))
	d := filepath.Dir(p)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return fmt.Errorf("%w: %w", ErrWriter, err)
	}
	f, err := os.CreateTemp(d, ".tmp-*")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWriter, err)
	}
	fb.files = append(fb.files, pendingFile{f: f, tmp: f.Name(), dst: p})
	if _, err = f.Write(data); err == nil {
		err = f.Chmod(0o644)
	}
	if err != nil {
		return fmt.Errorf("%w: writing %s: %w", ErrWriter, rel, err)
	}
	for ; ; d = filepath.Dir(d) {
		fb.dirs[d] = true
		if r, err := filepath.Rel(fb.dir, d); err != nil || r == "." || d == filepath.Dir(d) {
			break
		}
	}
	return nil
}

// abort removes the temporary files.
func (fb *fileBatch) abort() {
	for _, pf := range fb.files {
		pf.f.Close()
		os.Remove(pf.tmp)
	}
	fb.files = nil
}

// commit syncs, renames and syncs the directories.
func (fb *fileBatch) commit() error {
	defer fb.abort()
	errs := make([]error, len(fb.files))
	parallelDo(len(fb.files), func(i int) {
		errs[i] = fb.files[i].f.Sync()
		if err := fb.files[i].f.Close(); errs[i] == nil {
			errs[i] = err
		}
	})
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrWriter, err)
	}
	for _, pf := range fb.files {
		if err := os.Rename(pf.tmp, pf.dst); err != nil {
			return fmt.Errorf("%w: %w", ErrWriter, err)
		}
	}
	fb.files = nil
	dirs := make([]string, 0, len(fb.dirs))
	for d := range fb.dirs {
		dirs = append(dirs, d)
	}
	errs = make([]error, len(dirs))
	parallelDo(len(dirs), func(i int) {
		f, err := os.Open(dirs[i])
		if err != nil {
			errs[i] = err
			return
		}
		if err := f.Sync(); err != nil && runtime.GOOS != "js" {
			errs[i] = err
		}
		f.Close()
	})
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: syncing: %w", ErrWriter, err)
	}
	return nil
}

// parallelDo runs f(0..n-1) on at most 16 goroutines.
func parallelDo(n int, f func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
}

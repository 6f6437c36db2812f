package core

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/did/strictjson"
)

// IssuerDataVersion is the version of stored issuer data.
const IssuerDataVersion = "zkcred-wallet-issuer-v2"

// MaxLogIDs bounds the revoked ids the wallet keeps of one issuer's
// revocation log (2^24, 128 MiB in IndexedDB at 8 bytes each): a log
// beyond it is refused rather than filling the browser's storage.
const MaxLogIDs = 1 << 24

// SplitViewMessage is what the wallet tells the citizen when an agency
// showed it a revocation record that contradicts the one it showed
// before (a split view: [tlog.ErrSplitView], [tlog.ErrInconsistent]).
const SplitViewMessage = "The agency showed this wallet a different record than it shows others. Do not use this credential until this is resolved."

// IssuerData is what the wallet keeps of one issuer, refreshed by
// [Wallet.Sync] from the agency's witnessed revocation log: its DID
// document (so that presenting resolves nothing at the agency), the last
// checkpoint it accepted (signed note with the witnesses' cosignatures,
// which presentations carry), each held credential's non-revocation
// witness against it, and the credentials revoked at it. The revoked ids
// up to the checkpoint are stored beside it (see [Synced.IDs]).
type IssuerData struct {
	Version   string          `json:"version"`
	IssuerURL string          `json:"issuerUrl"`
	DID       string          `json:"did"`
	Document  json.RawMessage `json:"document"`
	// Checkpoint is the signed note of the last accepted checkpoint.
	Checkpoint string `json:"checkpoint"`
	// Witnesses are the held credentials' non-revocation witnesses
	// against Checkpoint, by credential id.
	Witnesses map[string]StoredWitness `json:"witnesses"`
	// Revoked lists the held credentials revoked at Checkpoint.
	Revoked []string `json:"revoked"`
	// SplitView is set (to the time it happened) once the agency showed a
	// checkpoint that contradicts Checkpoint; Checkpoint is kept.
	SplitView string    `json:"splitView,omitempty"`
	SyncedAt  time.Time `json:"syncedAt"`
}

// StoredWitness is a non-revocation witness (status.Witness), hex field
// elements.
type StoredWitness struct {
	Low      string   `json:"low"`
	Next     string   `json:"next"`
	Index    uint64   `json:"index"`
	Siblings []string `json:"siblings"`
}

// Synced is one issuer's state after [Wallet.Sync], for the page to
// store: Data (the [IssuerData] JSON); when the checkpoint's size changed
// since the wallet last handed them out, IDs (the revoked ids up to the
// checkpoint, 8 bytes big-endian each, in log order); when they changed,
// Tiles (the full hash tiles the wallet keeps, at most 256, for later
// consistency proofs); with the IDs, or when the page may lack them,
// Roots (the published subtree roots at the checkpoint,
// tlog.HolderSync.SubtreeRoots, so that the next sync fetches only the
// chunks new revocations change). The page stores them in one
// transaction; if that fails it calls [Wallet.StoreFailed], so the next
// Sync hands them out again. Nil IDs, Tiles or Roots mean: keep the
// stored ones.
type Synced struct {
	IssuerURL string
	Data      []byte
	IDs       []byte
	Tiles     []byte
	Roots     []byte
}

// issuerLog is the wallet's live view of one issuer's revocation log.
type issuerLog struct {
	hs *tlog.HolderSync
	// tiles keeps the verified full hash tiles across restarts.
	tiles      *tileCache
	tilesDirty bool // the page may not hold the current tiles
	// roots restores the view's subtree roots at the next sync (the
	// stored ones, until hs holds them); rootsStored: the page holds
	// the roots of the current checkpoint.
	roots       []byte
	rootsStored bool
	// storedSize is the checkpoint size of the ids the page stores
	// (-1: unknown, hand them out again).
	storedSize int64
	// ids restores the view at the next sync (the stored ones, until hs
	// holds them).
	ids []uint64
	// rebuild: the stored ids proved damaged (a subtree mismatch that
	// survived fetching every chunk again, or ids the view refuses): the
	// next sync downloads every entry again, checked against the latest
	// checkpoint and that checkpoint proven to extend the stored one.
	rebuild bool
}

// parseWitnessKeys parses the configured witness keys.
func parseWitnessKeys(vkeys []string, quorum int) ([]*tlog.WitnessKey, error) {
	if len(vkeys) > tlog.MaxWitnesses {
		return nil, fmt.Errorf("wallet: %d witnesses, at most %d", len(vkeys), tlog.MaxWitnesses)
	}
	var out []*tlog.WitnessKey
	for _, v := range vkeys {
		k, err := tlog.ParseWitnessKey(v)
		if err != nil {
			return nil, fmt.Errorf("wallet: witness key %q: %w", v, err)
		}
		out = append(out, k)
	}
	if quorum < 0 || quorum > len(out) {
		return nil, fmt.Errorf("wallet: quorum %d of %d witnesses", quorum, len(out))
	}
	return out, nil
}

// policies returns a policy per log key the issuer's document names for
// its revocation log, and the log's URL.
func (w *Wallet) policies(ctx context.Context, res did.Resolver, issuer string) ([]*tlog.Policy, string, *did.Document, error) {
	origin, err := tlog.RevocationOrigin(issuer)
	if err != nil {
		return nil, "", nil, err
	}
	keys, doc, err := tlog.LogKeysFromDocument(ctx, res, issuer, origin)
	if err != nil {
		return nil, "", nil, err
	}
	base, err := tlog.LogURL(doc, tlog.KindRevocation, w.cfg.InsecureLocal)
	if err != nil {
		return nil, "", nil, err
	}
	var ps []*tlog.Policy
	for _, k := range keys {
		p, err := tlog.NewPolicy(k, w.witnesses, w.cfg.Quorum)
		if err != nil {
			return nil, "", nil, err
		}
		ps = append(ps, p)
	}
	return ps, base, doc, nil
}

// AddIssuerData parses stored issuer data (JSON, strictly) and the
// revoked ids stored with it (8 bytes each), checks them (the document is
// the DID's, the checkpoint carries the signature of a log key the
// document names and the configured witness quorum) and keeps them, with
// the hash tiles and subtree roots stored beside them (as [Synced.Tiles]
// and [Synced.Roots]; nil for none): the next [Wallet.Sync] downloads
// only what is new. Ids that do not match the checkpoint's size are
// dropped and the checkpoint kept: the next Sync downloads the whole log,
// proven consistent with it.
func (w *Wallet) AddIssuerData(ctx context.Context, b, ids, tiles, roots []byte) error {
	var d IssuerData
	if err := strictjson.Unmarshal(b, &d); err != nil || d.Version != IssuerDataVersion {
		return fmt.Errorf("wallet: stored issuer data is not %s (%v)", IssuerDataVersion, err)
	}
	res, err := d.resolver()
	if err != nil {
		return err
	}
	ps, _, _, err := w.policies(ctx, res, d.DID)
	if err != nil {
		return err
	}
	var cp *tlog.Checkpoint
	for _, p := range ps {
		if cp, err = p.Verify([]byte(d.Checkpoint)); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("wallet: the stored checkpoint of %s: %w", d.IssuerURL, err)
	}
	for id, sw := range d.Witnesses {
		if _, err := sw.parse(); err != nil {
			return fmt.Errorf("wallet: the stored witness of %s: %w", id, err)
		}
	}
	if len(ids)%8 != 0 || len(ids)/8 > MaxLogIDs || int64(len(ids)/8) != cp.Size {
		// Stored ids that do not fit the checkpoint (a damaged or
		// partly written record) are dropped, the checkpoint is kept:
		// the next sync downloads the log again and must prove it
		// consistent with the checkpoint this wallet trusts (a fork is
		// still a split view), as for ids damaged inside (discardIDs).
		l := &issuerLog{tiles: newTileCache(), rebuild: true, storedSize: -1, tilesDirty: true}
		w.mu.Lock()
		w.issuers[d.IssuerURL] = &d
		w.logs[d.IssuerURL] = l
		w.mu.Unlock()
		return nil
	}
	list := make([]uint64, len(ids)/8)
	for i := range list {
		list[i] = binary.BigEndian.Uint64(ids[8*i:])
	}
	tc := newTileCache()
	if err := tc.unmarshal(tiles); err != nil {
		tc = newTileCache() // damaged: fetched again when needed
	}
	w.mu.Lock()
	w.issuers[d.IssuerURL] = &d
	if len(roots) > 32*(MaxLogIDs+1) {
		roots = nil
	}
	w.logs[d.IssuerURL] = &issuerLog{ids: list, storedSize: cp.Size, tiles: tc, roots: roots, rootsStored: roots != nil}
	w.mu.Unlock()
	return nil
}

// StoreFailed tells the wallet the page could not store an issuer's
// [Synced] state: the next Sync hands its ids out again.
func (w *Wallet) StoreFailed(issuerURL string) {
	w.mu.Lock()
	if l := w.logs[issuerURL]; l != nil {
		l.storedSize, l.tilesDirty, l.rootsStored = -1, true, false
	}
	w.mu.Unlock()
}

// resolver serves the stored DID document.
func (d *IssuerData) resolver() (*did.StaticResolver, error) {
	doc, err := did.ParseDocument(d.Document)
	if err != nil || doc.ID != d.DID {
		return nil, fmt.Errorf("wallet: the stored DID document of %s is not %s's (%v)", d.IssuerURL, d.DID, err)
	}
	return did.NewStaticResolver(doc)
}

// Sync brings every issuer the wallet holds a credential from up to date
// with its witnessed revocation log, and returns the state for the page
// to store. It runs on the wallet's own schedule (on opening, after a
// credential arrives, then periodically), never while answering a
// request: the agency sees the wallet refresh, the same public files for
// every holder, not when or where it presents.
//
// For each issuer it resolves the DID document, fetches the log's
// checkpoint and accepts it only with the agency's signature (a log key
// of the document) and the configured witness quorum, and only if it is
// consistent with the stored checkpoint; it then downloads only the new
// entries (each bundle checked against the checkpoint) and the subtree
// chunks that changed (tlog.HolderSync), and computes each held
// credential's non-revocation witness. A split view keeps the stored
// checkpoint and marks the issuer ([IssuerData.SplitView]: its
// credentials are not used; [SplitViewMessage]). Damaged stored state
// heals: a subtree mismatch (status.ErrSubtreeMismatch) is retried with
// every chunk fetched again; one that survives it, or stored ids the view
// refuses, means the stored ids are damaged: the issuer's ids, hash
// tiles and roots are discarded and the log downloaded again from
// scratch (at most once per issuer per sync; the stored checkpoint is
// kept and the new one must extend it), and the fresh state is handed
// out in full. Errors are per issuer;
// an issuer that failed otherwise is left as it was. Concurrent calls run
// one after the other.
func (w *Wallet) Sync(ctx context.Context) ([]Synced, error) {
	// One sync at a time (the page's schedule may overlap one asked
	// for): a HolderSync is not safe for concurrent use.
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	w.mu.Lock()
	urls := map[string]string{} // issuer URL -> DID
	for _, e := range w.entries {
		urls[e.IssuerURL] = e.Stored.Issuer
	}
	w.mu.Unlock()
	var out []Synced
	var errs []error
	for _, u := range slices.Sorted(func(yield func(string) bool) {
		for k := range urls {
			if !yield(k) {
				return
			}
		}
	}) {
		s, err := w.syncIssuer(ctx, u, urls[u])
		if s != nil {
			out = append(out, *s)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", u, err))
		}
	}
	return out, errors.Join(errs...)
}

// maxLogResponse bounds each file of a revocation log the wallet reads:
// a checkpoint, a hash tile, an entry bundle or a subtree chunk (8 KiB). A
// sync keeps up to 256 requests in flight (tlog.Client), so under the
// wallet's general limit (maxResponse, 4 MiB) a hostile log host could
// make it hold 1 GiB of bodies it then refuses.
const maxLogResponse = max(tlog.MaxCheckpointSize, 256*32, status.MaxSubtreeChunkSize, 256*(2+tlog.RevocationEntrySize))

// errLogTooLarge marks a revocation log with more entries than
// [MaxLogIDs].
var errLogTooLarge = errors.New("wallet: revocation log too large")

// errLogBehind marks a sync that found the log behind the stored
// checkpoint (a lagging copy): nothing changed, the next sync retries.
var errLogBehind = errors.New("wallet: the revocation log is behind the stored checkpoint")

// errSplitView marks a sync refused because the agency contradicted
// itself.
var errSplitView = errors.New("wallet: the agency showed a revocation log that contradicts the stored one (split view)")

func (w *Wallet) syncIssuer(ctx context.Context, issuerURL, id string) (*Synced, error) {
	r, err := w.resolver.Resolve(ctx, id)
	if err != nil {
		return nil, err
	}
	docJSON, err := json.Marshal(r.Document)
	if err != nil {
		return nil, err
	}
	static, err := did.NewStaticResolver(r.Document)
	if err != nil {
		return nil, err
	}
	ps, base, _, err := w.policies(ctx, static, id)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	old := w.issuers[issuerURL]
	if old != nil && old.DID != id {
		old = nil
	}
	l := w.logs[issuerURL]
	if l == nil || old == nil {
		l = &issuerLog{storedSize: -1, tiles: newTileCache()}
		w.logs[issuerURL] = l
	}
	w.mu.Unlock()
	l.tiles.mu.Lock()
	l.tiles.next, l.tiles.base = w.logFetch, base+"/"
	l.tiles.mu.Unlock()
	// A subtree mismatch is retried once with every chunk fetched again
	// (the roots then come from the log and are checked against the
	// checkpoint); one that survives that means the stored ids are
	// damaged: they are discarded and downloaded again, at most once a
	// sync.
	var cp *tlog.Checkpoint
	var d *IssuerData
	rebuilt := false
	for attempt := 0; ; attempt++ {
		if l.hs == nil {
			var err error
			rebuilt = rebuilt || l.rebuild
			if cp, err = w.openView(ctx, l, old, base, ps); err != nil {
				if errors.Is(err, tlog.ErrMalformedEntry) && !l.rebuild && !rebuilt {
					// Stored ids the view refuses (a duplicate, an id out
					// of range): damaged, downloaded again.
					w.discardIDs(l)
					continue
				}
				return w.syncFailed(issuerURL, old, l, err)
			}
		}
		if cp == nil {
			var err error
			if cp, err = l.hs.Sync(ctx); err != nil {
				return w.syncFailed(issuerURL, old, l, err)
			}
		}
		if cp.Size > MaxLogIDs {
			return nil, fmt.Errorf("%w: a revocation log of %d entries, more than the wallet keeps (%d)", errLogTooLarge, cp.Size, MaxLogIDs)
		}
		var err error
		d, err = w.issuerData(issuerURL, id, docJSON, cp, old, l)
		if err == nil {
			break
		}
		if !errors.Is(err, status.ErrSubtreeMismatch) {
			return nil, err
		}
		// The roots (restored or fetched) are fetched again; the page's
		// copy may be the damaged one: hand out the next.
		w.mu.Lock()
		l.rootsStored = false
		w.mu.Unlock()
		switch {
		case attempt == 0:
			cp = nil // the view fetches every chunk again
		case !rebuilt:
			w.discardIDs(l)
			cp = nil
		default:
			return nil, err
		}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	s := &Synced{IssuerURL: issuerURL, Data: b}
	w.mu.Lock()
	if l.tiles.commit() || l.tilesDirty {
		s.Tiles, l.tilesDirty = l.tiles.marshal(), false
	}
	if l.storedSize != cp.Size || !l.rootsStored {
		s.Roots = l.hs.SubtreeRoots()
		l.rootsStored = s.Roots != nil
	}
	if l.storedSize != cp.Size {
		ids := l.hs.IDs()
		s.IDs = make([]byte, 0, 8*len(ids))
		for _, id := range ids {
			s.IDs = binary.BigEndian.AppendUint64(s.IDs, id)
		}
		l.storedSize = cp.Size
	}
	w.issuers[issuerURL] = d
	w.mu.Unlock()
	return s, nil
}

// openView builds the issuer's view at the first sync since the wallet
// opened: restored from the stored checkpoint, ids and roots (the sync
// then downloads only what is new and proves the new checkpoint extends
// the stored one; it returns nil), or, when the stored ids proved damaged
// (l.rebuild), from scratch: every entry downloaded again and checked
// against the latest checkpoint, which must extend the stored one (the
// checkpoint the wallet trusts is kept; a contradiction is a split view);
// it returns that checkpoint, the view synced to it.
func (w *Wallet) openView(ctx context.Context, l *issuerLog, old *IssuerData, base string, ps []*tlog.Policy) (*tlog.Checkpoint, error) {
	if !l.rebuild || old == nil {
		var stored []byte
		if old != nil {
			stored = []byte(old.Checkpoint)
		}
		hs, err := newHolderSync(ctx, w, base, ps, stored, l.ids, l.tiles)
		if err != nil {
			return nil, err
		}
		if l.roots != nil && hs.RestoreSubtreeRoots(l.roots) != nil {
			l.rootsStored = false // of another size: the page gets the new ones
		}
		w.mu.Lock()
		l.hs, l.ids, l.roots, l.rebuild = hs, nil, nil, false
		w.mu.Unlock()
		return nil, nil
	}
	var trusted *tlog.Checkpoint
	var p *tlog.Policy
	var err error
	for _, q := range ps {
		if trusted, err = q.Verify([]byte(old.Checkpoint)); err == nil {
			p = q
			break
		}
	}
	if p == nil {
		return nil, fmt.Errorf("wallet: the stored checkpoint of %s: %w", old.IssuerURL, err)
	}
	hs, err := newHolderSync(ctx, w, base, ps, nil, nil, l.tiles)
	if err != nil {
		return nil, err
	}
	cp, err := hs.Sync(ctx)
	if err != nil {
		return nil, err
	}
	c, err := tlog.NewClient(base, l.tiles, p, nil)
	if err != nil {
		return nil, err
	}
	switch {
	case cp.Size == trusted.Size && cp.Same(trusted):
		// The same tree (perhaps signed earlier: a lagging copy).
	case cp.Size >= trusted.Size:
		proof, err := c.ConsistencyProof(ctx, trusted, cp)
		if err != nil {
			return nil, err
		}
		if err := p.CheckUpdate(trusted, cp, proof); err != nil {
			return nil, err
		}
	default:
		// Smaller than the trusted checkpoint: a lagging copy if the
		// trusted one is proven to extend it (retried at the next sync),
		// else a contradiction.
		proof, err := c.ConsistencyProof(ctx, cp, trusted)
		if err != nil {
			return nil, err
		}
		if err := p.CheckUpdate(cp, trusted, proof); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: the log served a checkpoint of %d entries, older than the stored one (%d): sync again later", errLogBehind, cp.Size, trusted.Size)
	}
	w.mu.Lock()
	l.hs, l.ids, l.roots, l.rebuild = hs, nil, nil, false
	w.mu.Unlock()
	return cp, nil
}

// discardIDs stops trusting the issuer's stored ids, hash tiles and
// subtree roots: the next view is built from scratch (openView) and its
// state handed out again in full.
func (w *Wallet) discardIDs(l *issuerLog) {
	l.tiles.reset(true)
	w.mu.Lock()
	l.hs, l.ids, l.roots, l.rebuild = nil, nil, nil, true
	l.storedSize, l.rootsStored, l.tilesDirty = -1, false, true
	w.mu.Unlock()
}

// syncFailed handles a failed sync of the issuer's log: a split view
// marks the stored data (returned for the page to store); anything else
// leaves the issuer as it was.
func (w *Wallet) syncFailed(issuerURL string, old *IssuerData, l *issuerLog, err error) (*Synced, error) {
	// A tile the wallet kept that no longer verifies: drop them all.
	l.tiles.reset(errors.Is(err, tlog.ErrMalformedTile))
	if !errors.Is(err, tlog.ErrSplitView) && !errors.Is(err, tlog.ErrInconsistent) {
		// A refused checkpoint changed nothing; one whose chunks did not
		// all arrive is completed by the next sync.
		return nil, err
	}
	if old == nil {
		return nil, fmt.Errorf("%w: %w", errSplitView, err)
	}
	d := *old
	d.SplitView = w.cfg.Now().UTC().Format(time.RFC3339)
	b, merr := json.Marshal(&d)
	if merr != nil {
		return nil, merr
	}
	w.mu.Lock()
	w.issuers[issuerURL] = &d
	w.mu.Unlock()
	return &Synced{IssuerURL: issuerURL, Data: b}, fmt.Errorf("%w: %w", errSplitView, err)
}

// issuerData computes the held credentials' witnesses (or revocations)
// at cp. Errors wrap those of tlog.HolderSync.Witness (among them
// status.ErrSubtreeMismatch).
func (w *Wallet) issuerData(issuerURL, id string, docJSON []byte, cp *tlog.Checkpoint, old *IssuerData, l *issuerLog) (*IssuerData, error) {
	d := &IssuerData{Version: IssuerDataVersion, IssuerURL: issuerURL, DID: id, Document: docJSON,
		Checkpoint: string(cp.Note), Witnesses: map[string]StoredWitness{}, SyncedAt: w.cfg.Now().UTC()}
	if old != nil {
		d.SplitView = old.SplitView // evidence stays until the citizen resolves it
	}
	w.mu.Lock()
	entries := slices.Clone(w.entries)
	w.mu.Unlock()
	for _, e := range entries {
		if e.IssuerURL != issuerURL {
			continue
		}
		wit, err := l.hs.Witness(e.Stored.RevocationID)
		switch {
		case errors.Is(err, status.ErrRevoked):
			d.Revoked = append(d.Revoked, e.ID)
			continue
		case err != nil:
			return nil, fmt.Errorf("credential %s: %w", e.ID, err)
		}
		d.Witnesses[e.ID] = storeWitness(wit)
	}
	return d, nil
}

// newHolderSync builds the view of the log under base, restored from the
// stored checkpoint and ids (nil for none), with the first policy whose
// log key signs the log's checkpoint.
func newHolderSync(ctx context.Context, w *Wallet, base string, ps []*tlog.Policy, stored []byte, ids []uint64, g tlog.Getter) (*tlog.HolderSync, error) {
	note := stored
	if note == nil {
		r, err := w.logFetch.Get(ctx, base+"/checkpoint", "")
		if err != nil {
			return nil, err
		}
		if r.StatusCode != 200 {
			return nil, fmt.Errorf("%w: %s/checkpoint: %s", tlog.ErrNotFound, base, r.Status)
		}
		note = r.Body
	}
	for _, p := range ps {
		cp, err := p.Verify(note)
		if errors.Is(err, tlog.ErrBadSignature) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if cp.Kind != tlog.KindRevocation {
			return nil, fmt.Errorf("%w: not a revocation log", tlog.ErrMalformedCheckpoint)
		}
		depth := cp.Indexed.Depth
		return tlog.NewHolderSync(base, g, p, depth, min(status.DefaultSubtreeLevel, depth), stored, ids)
	}
	return nil, fmt.Errorf("%w: no key of the issuer's DID document signs its revocation log", tlog.ErrBadSignature)
}

func storeWitness(wit *status.Witness) StoredWitness {
	hexField := func(e fr.Element) string { b := e.Bytes(); return hex.EncodeToString(b[:]) }
	sw := StoredWitness{Low: hexField(wit.LowValue), Next: hexField(wit.LowNext), Index: wit.Index}
	for _, s := range wit.Siblings {
		sw.Siblings = append(sw.Siblings, hexField(s))
	}
	return sw
}

func (sw StoredWitness) parse() (*status.Witness, error) {
	if len(sw.Siblings) > status.MaxDepth {
		return nil, errors.New("too many siblings")
	}
	parse := func(s string) (fr.Element, error) {
		var e fr.Element
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != fr.Bytes {
			return e, errors.New("not 32 bytes of hex")
		}
		return e, e.SetBytesCanonical(b)
	}
	wit := &status.Witness{Index: sw.Index}
	var err error
	if wit.LowValue, err = parse(sw.Low); err != nil {
		return nil, err
	}
	if wit.LowNext, err = parse(sw.Next); err != nil {
		return nil, err
	}
	for _, s := range sw.Siblings {
		f, err := parse(s)
		if err != nil {
			return nil, err
		}
		wit.Siblings = append(wit.Siblings, f)
	}
	return wit, nil
}

// witness returns the stored non-revocation witness of credential id.
func (d *IssuerData) witness(id string) (*status.Witness, bool) {
	if d == nil {
		return nil, false
	}
	sw, ok := d.Witnesses[id]
	if !ok {
		return nil, false
	}
	wit, err := sw.parse()
	return wit, err == nil
}

// IsSplitView reports whether a [Wallet.Sync] error says an agency
// showed a split view ([SplitViewMessage] is what to tell the citizen).
func IsSplitView(err error) bool { return errors.Is(err, errSplitView) }

// Hash tiles kept per issuer: a tile path (tile/<L>/<N>, or a partial
// tile's tile/<L>/<N>.p/<W>) names the same bytes forever, and a later
// sync (after a restart too) reads some of the ones it read before: full
// tiles and the upper levels' partial tiles its consistency proof needs.
const (
	fullTileSize   = 256 * 32
	maxCachedTiles = 256 // at most 2 MiB per issuer
)

// hashTileSize returns the size of the hash tile at path (tile/<L>/<N>
// with N in the tlog-tiles path encoding, x001/x234/067, and an optional
// .p/<W>), or 0 if path is not one (an entry bundle, anything else).
func hashTileSize(path string) int {
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return 0
	}
	level, rest, ok := strings.Cut(rest, "/")
	if !ok || len(level) == 0 || len(level) > 2 || !allDigits(level) {
		return 0
	}
	size := fullTileSize
	if n, width, ok := strings.Cut(rest, ".p/"); ok {
		if len(width) == 0 || len(width) > 3 || !allDigits(width) || width[0] == '0' {
			return 0
		}
		w := 0
		for i := 0; i < len(width); i++ {
			w = 10*w + int(width[i]-'0')
		}
		if w >= 256 {
			return 0
		}
		rest, size = n, 32*w
	}
	segs := strings.Split(rest, "/")
	if len(segs) > 8 {
		return 0
	}
	for i, s := range segs {
		if i < len(segs)-1 {
			if s, ok = strings.CutPrefix(s, "x"); !ok {
				return 0
			}
		}
		if len(s) != 3 || !allDigits(s) {
			return 0
		}
	}
	return size
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// tileCache is a tlog.Getter that serves hash tiles the wallet kept
// from earlier syncs and records the ones a sync downloads; they are kept
// (commit) only once the sync succeeded, which means the HolderSync
// verified them against an accepted checkpoint. A kept tile is verified
// again whenever it is read, so a damaged one fails the sync, and the
// wallet then drops them all (reset).
type tileCache struct {
	next tlog.Getter

	mu      sync.Mutex
	base    string            // the log's base URL, with a trailing slash
	tiles   map[string][]byte // by path
	order   []string          // oldest first
	pending map[string][]byte
}

func newTileCache() *tileCache {
	return &tileCache{tiles: map[string][]byte{}, pending: map[string][]byte{}}
}

// limitedGetter is a Getter that takes a per-call body limit, as
// *fetch.Client does: tlog's Client asks each file with its largest
// honest size.
type limitedGetter interface {
	GetLimited(ctx context.Context, rawURL, accept string, maxBytes int64) (*fetch.Response, error)
}

// Get implements tlog.Getter.
func (c *tileCache) Get(ctx context.Context, rawURL, accept string) (*fetch.Response, error) {
	return c.get(ctx, rawURL, accept, 0)
}

// GetLimited passes tlog's per-file limit on to the wallet's fetch client,
// so a hostile log host cannot make a sync read more than each file may
// honestly be (a cached tile is answered as by Get).
func (c *tileCache) GetLimited(ctx context.Context, rawURL, accept string, maxBytes int64) (*fetch.Response, error) {
	return c.get(ctx, rawURL, accept, maxBytes)
}

func (c *tileCache) get(ctx context.Context, rawURL, accept string, maxBytes int64) (*fetch.Response, error) {
	c.mu.Lock()
	path, ok := strings.CutPrefix(rawURL, c.base)
	size := hashTileSize(path)
	ok = ok && c.base != "" && size > 0
	b, hit := c.tiles[path]
	c.mu.Unlock()
	if ok && hit {
		return &fetch.Response{StatusCode: 200, Status: "200 OK", URL: rawURL, Body: b}, nil
	}
	var r *fetch.Response
	var err error
	if lg, limited := c.next.(limitedGetter); limited && maxBytes > 0 {
		r, err = lg.GetLimited(ctx, rawURL, accept, maxBytes)
	} else {
		r, err = c.next.Get(ctx, rawURL, accept)
	}
	if err == nil && r.StatusCode == 200 && c.base != "" && rawURL == c.base+"checkpoint" {
		// Refuse a log larger than the wallet keeps before downloading
		// its entries (the checkpoint is verified after this).
		if cp, perr := tlog.ParseCheckpoint(r.Body); perr == nil && cp.Size > MaxLogIDs {
			return nil, fmt.Errorf("%w: a revocation log of %d entries, more than the wallet keeps (%d)", errLogTooLarge, cp.Size, MaxLogIDs)
		}
	}
	if ok && err == nil && r.StatusCode == 200 && len(r.Body) == size {
		c.mu.Lock()
		if len(c.pending) < maxCachedTiles {
			c.pending[path] = r.Body
		}
		c.mu.Unlock()
	}
	return r, err
}

// commit keeps the tiles of a successful sync (the oldest go beyond
// maxCachedTiles) and reports whether the kept set changed.
func (c *tileCache) commit() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	changed := false
	for _, p := range slices.Sorted(maps.Keys(c.pending)) {
		if _, ok := c.tiles[p]; !ok {
			c.tiles[p] = c.pending[p]
			c.order = append(c.order, p)
			changed = true
		}
	}
	clear(c.pending)
	for len(c.order) > maxCachedTiles {
		delete(c.tiles, c.order[0])
		c.order = c.order[1:]
	}
	return changed
}

// reset forgets the pending tiles, and the kept ones too if all is set.
func (c *tileCache) reset(all bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.pending)
	if all {
		clear(c.tiles)
		c.order = nil
	}
}

// marshal encodes the kept tiles: for each, oldest first, one byte of
// path length, the path and the tile's bytes (their number follows from
// the path).
func (c *tileCache) marshal() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]byte, 0, len(c.order)*(fullTileSize+32))
	for _, p := range c.order {
		out = append(out, byte(len(p)))
		out = append(out, p...)
		out = append(out, c.tiles[p]...)
	}
	return out
}

// unmarshal restores tiles marshal encoded; it refuses anything else.
func (c *tileCache) unmarshal(b []byte) error {
	tiles := map[string][]byte{}
	var order []string
	for len(b) > 0 {
		n := int(b[0])
		if len(order) == maxCachedTiles || len(b) < 1+n {
			return errors.New("wallet: stored tiles are not a tile list")
		}
		p := string(b[1 : 1+n])
		size := hashTileSize(p)
		if size == 0 || tiles[p] != nil || len(b) < 1+n+size {
			return fmt.Errorf("wallet: stored tile %q", p)
		}
		tiles[p] = slices.Clone(b[1+n : 1+n+size])
		order = append(order, p)
		b = b[1+n+size:]
	}
	c.mu.Lock()
	c.tiles, c.order = tiles, order
	c.mu.Unlock()
	return nil
}

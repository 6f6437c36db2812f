package registry

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
)

// Registry is an issuer's durable revocation state: the revocation tree
// (revoked ids in leaf order), the ids it issued, its Bitstring Status List
// bits, and the latest signed root, kept in a [Store].
//
// Every change (a [Registry.Revoke] call) is one store transaction that
// appends the ids, advances the sequence number and stores the newly signed
// root; it is durable when the call returns. A Registry is safe for
// concurrent use: changes are serialized, reads run in parallel and are
// served from memory.
//
// Several Registries may share one store: on a [PostgresStore], one per
// instance of the agency's issuer. Exactly one writes at a time (see
// [PostgresStore]; the others get [ErrNotWriter] from changes); the others
// catch up with [Registry.Sync]. A change first brings the registry up to
// date, and its write transaction checks that the store still holds the
// count and sequence it was computed from (else [ErrCorrupt], and nothing
// is written), so the revoked ids stay one gap-free sequence and signed
// root sequences never go back, across failovers too.
//
// # Storage layout, version 1
//
// Buckets and keys (integers big-endian):
//
//	meta     "version" → 0x01; "depth" → 1 byte; "count", "seq", "iat" → 8 bytes;
//	         "root" → 32 bytes; "jws" → the latest signed root (compact JWS)
//	revoked  leaf index (8 bytes, from 1) → revocation id (8 bytes)
//	issued   revocation id (8 bytes) → empty
//	lists    list name → the list's bitstring (index 0 = most significant bit of byte 0)
//	listidx  list name ‖ 0x00 ‖ index (8 bytes) → empty: allocated status-list indexes
//
// On open, the tree is rebuilt from "revoked" and must reproduce "root"
// and "count"; otherwise [ErrCorrupt] is returned.
type Registry struct {
	store Store
	cfg   Config

	mu     sync.RWMutex
	tree   *status.Tree
	ids    []uint64 // revoked ids in leaf order
	claims status.RootClaims
	jws    string
	epoch  int64 // the writer epoch of a writerStore at the last sync; 0: none
}

// Config configures [Open].
type Config struct {
	// Depth of the revocation tree, fixed when the store is first used;
	// 0 means [status.DefaultDepth] (or, on reopen, the stored depth).
	Depth int
	// Issuer is the issuer's DID, put in every signed root.
	Issuer string
	// KeyID is the DID URL of the issuer's JOSE key (an assertionMethod of
	// Issuer), the "kid" of signed roots and status-list credentials.
	KeyID string
	// Signer is the issuer's Ed25519 or P-256 JOSE key.
	Signer crypto.Signer
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand is the source of revocation ids and status-list indexes; nil
	// means crypto/rand.
	Rand io.Reader
	// StatusListBits is the size of each status list in bits, a multiple of
	// 8 and at least [status.MinStatusListBits]; 0 means
	// status.MinStatusListBits.
	StatusListBits int
}

// ErrCorrupt is returned by [Open] when the stored state is inconsistent
// (the revoked ids do not reproduce the stored root), and by a change that
// finds the store changed behind the [Registry].
var ErrCorrupt = errors.New("status: registry store is corrupt")

var (
	bucketMeta    = []byte("meta")
	bucketRevoked = []byte("revoked")
	bucketIssued  = []byte("issued")
	bucketLists   = []byte("lists")
	bucketListIdx = []byte("listidx")
)

const registryVersion = 1

// Open opens the registry kept in store, creating it (and publishing the
// signed root of the empty tree, sequence 0) on first use. An invalid cfg
// (no Issuer, a KeyID that is not a DID URL of Issuer, a Signer that is not
// Ed25519 or P-256, a bad StatusListBits, or a Depth other than the stored
// one) is an error wrapping [status.ErrConfig].
func Open(store Store, cfg Config) (*Registry, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: nil store", status.ErrConfig)
	}
	if cfg.Issuer == "" || !strings.HasPrefix(cfg.KeyID, cfg.Issuer+"#") {
		return nil, fmt.Errorf("%w: KeyID must be a DID URL of Issuer (did#fragment)", status.ErrConfig)
	}
	if err := checkSigner(cfg.Signer); err != nil {
		return nil, fmt.Errorf("%w: %w", status.ErrConfig, err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = crand.Reader
	}
	if cfg.StatusListBits == 0 {
		cfg.StatusListBits = status.MinStatusListBits
	}
	if cfg.StatusListBits < status.MinStatusListBits || cfg.StatusListBits%8 != 0 || cfg.StatusListBits > status.MaxStatusListBits {
		return nil, fmt.Errorf("%w: StatusListBits %d", status.ErrConfig, cfg.StatusListBits)
	}
	r := &Registry{store: store, cfg: cfg}
	fresh, err := r.fresh()
	if err != nil {
		return nil, err
	}
	if fresh {
		if err := r.create(); errors.Is(err, ErrNotWriter) {
			// Another instance is the writer: it creates the registry.
			if err := r.awaitCreated(err); err != nil {
				return nil, err
			}
		} else if err != nil {
			return nil, err
		}
	}
	if err := r.load(); err != nil {
		return nil, err
	}
	if cfg.Depth != 0 && cfg.Depth != r.tree.Depth() {
		return nil, fmt.Errorf("%w: depth %d, store has %d", status.ErrConfig, cfg.Depth, r.tree.Depth())
	}
	return r, nil
}

// checkSigner accepts the keys [status.SignRoot] signs with: Ed25519 and
// P-256, as a concrete key or any crypto.Signer (an HSM) with such a
// public key.
func checkSigner(s crypto.Signer) error {
	if s == nil {
		return fmt.Errorf("%w: nil signer", status.ErrUnsupportedKey)
	}
	switch p := s.Public().(type) {
	case ed25519.PublicKey:
		if len(p) == ed25519.PublicKeySize {
			return nil
		}
	case *ecdsa.PublicKey:
		if p.Curve == elliptic.P256() {
			return nil
		}
	}
	return fmt.Errorf("%w: %T", status.ErrUnsupportedKey, s.Public())
}

// now is the time a root is signed at, in whole seconds as the signed root
// and the store keep it, so that the claims a change returns are the ones
// the store and every synced registry hold.
func (r *Registry) now() time.Time { return time.Unix(r.cfg.Now().Unix(), 0).UTC() }

// fresh reports whether the store holds no registry yet.
func (r *Registry) fresh() (bool, error) {
	var fresh bool
	err := r.store.View(func(tx Tx) error {
		fresh = tx.Get(bucketMeta, []byte("version")) == nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrStore, err)
	}
	return fresh, nil
}

// awaitCreated waits up to 10 seconds for the writer instance to create
// the registry; notWriter is the error if it does not.
func (r *Registry) awaitCreated(notWriter error) error {
	for range 200 {
		time.Sleep(50 * time.Millisecond)
		fresh, err := r.fresh()
		if err != nil || !fresh {
			return err
		}
	}
	return fmt.Errorf("%w; the writer did not create the registry within 10s", notWriter)
}

func (r *Registry) create() error {
	depth := r.cfg.Depth
	if depth == 0 {
		depth = status.DefaultDepth
	}
	t, err := status.NewTree(depth, status.RevocationMax())
	if err != nil {
		return fmt.Errorf("%w: %w", status.ErrConfig, err)
	}
	claims := status.RootClaims{Issuer: r.cfg.Issuer, Root: t.Root(), Depth: depth, IssuedAt: r.now()}
	jws, err := status.SignRoot(&claims, r.cfg.Signer, r.cfg.KeyID)
	if err != nil {
		return err
	}
	err = r.store.Update(func(tx Tx) error {
		if tx.Get(bucketMeta, []byte("version")) != nil {
			return nil // created concurrently by another opener
		}
		if err := tx.Put(bucketMeta, []byte("version"), []byte{registryVersion}); err != nil {
			return err
		}
		if err := tx.Put(bucketMeta, []byte("depth"), []byte{byte(depth)}); err != nil {
			return err
		}
		return putRoot(tx, &claims, jws)
	})
	if err != nil {
		return storeErr(err)
	}
	return nil
}

func putRoot(tx Tx, c *status.RootClaims, jws string) error {
	root := c.Root.Bytes()
	for k, v := range map[string][]byte{
		"count": be64(c.Count), "seq": be64(c.Sequence), "iat": be64(uint64(c.IssuedAt.Unix())),
		"root": root[:], "jws": []byte(jws),
	} {
		if err := tx.Put(bucketMeta, []byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// maxJWS bounds the stored signed root read back from the store.
const maxJWS = 16 << 10

// storedMeta is the "meta" bucket of a store.
type storedMeta struct {
	depth           int
	count, seq, iat uint64
	root            fr.Element
	jws             string
}

// readMeta reads and checks the meta bucket.
func readMeta(tx Tx) (*storedMeta, error) {
	v := tx.Get(bucketMeta, []byte("version"))
	if len(v) != 1 || v[0] != registryVersion {
		return nil, fmt.Errorf("%w: unsupported store version", ErrCorrupt)
	}
	d := tx.Get(bucketMeta, []byte("depth"))
	c, s, ia, rt := tx.Get(bucketMeta, []byte("count")), tx.Get(bucketMeta, []byte("seq")), tx.Get(bucketMeta, []byte("iat")), tx.Get(bucketMeta, []byte("root"))
	jws := tx.Get(bucketMeta, []byte("jws"))
	if len(d) != 1 || len(c) != 8 || len(s) != 8 || len(ia) != 8 || len(rt) != 32 || len(jws) > maxJWS {
		return nil, fmt.Errorf("%w: malformed meta", ErrCorrupt)
	}
	m := &storedMeta{depth: int(d[0]), count: binary.BigEndian.Uint64(c), seq: binary.BigEndian.Uint64(s), iat: binary.BigEndian.Uint64(ia), jws: string(jws)}
	if m.depth < 1 || m.depth > 64 || (m.depth < 64 && m.count >= uint64(1)<<uint(m.depth)) {
		return nil, fmt.Errorf("%w: depth %d with %d revoked ids", ErrCorrupt, m.depth, m.count)
	}
	if err := m.root.SetBytesCanonical(rt); err != nil {
		return nil, fmt.Errorf("%w: stored root not canonical", ErrCorrupt)
	}
	return m, nil
}

// readRevoked reads the revoked ids at leaf indexes from+1 to count, which
// must be exactly there; memory grows with what the store holds, never
// with what meta claims.
func readRevoked(tx Tx, from, count uint64) ([]uint64, error) {
	if count < from {
		return nil, fmt.Errorf("%w: %d revoked ids, expected at least %d", ErrCorrupt, count, from)
	}
	ids := make([]uint64, 0, min(count-from, 1<<20))
	err := tx.ForEach(bucketRevoked, be64(from+1), func(k, v []byte) error {
		if uint64(len(ids)) == count-from {
			return fmt.Errorf("%w: more revoked ids than meta's count %d", ErrCorrupt, count)
		}
		if len(k) != 8 || len(v) != 8 || binary.BigEndian.Uint64(k) != from+uint64(len(ids))+1 {
			return fmt.Errorf("%w: revoked ids not contiguous", ErrCorrupt)
		}
		ids = append(ids, binary.BigEndian.Uint64(v))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if uint64(len(ids)) != count-from {
		return nil, fmt.Errorf("%w: %d revoked ids, meta says %d", ErrCorrupt, from+uint64(len(ids)), count)
	}
	return ids, nil
}

// viewErr wraps an error from a read transaction.
func viewErr(err error) error {
	if errors.Is(err, ErrCorrupt) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrStore, err)
}

// load rebuilds the in-memory state from the store and checks it.
func (r *Registry) load() error {
	var (
		m   *storedMeta
		ids []uint64
	)
	err := r.store.View(func(tx Tx) error {
		var err error
		if m, err = readMeta(tx); err != nil {
			return err
		}
		ids, err = readRevoked(tx, 0, m.count)
		return err
	})
	if err != nil {
		return viewErr(err)
	}
	// Snapshot.Tree rebuilds the tree and checks it has the stored root.
	t, err := (&status.Snapshot{Depth: m.depth, Sequence: m.seq, Root: m.root, IDs: ids}).Tree()
	if err != nil {
		return fmt.Errorf("%w: revoked ids do not reproduce the stored tree: %w", ErrCorrupt, err)
	}
	r.tree, r.ids = t, ids
	r.setMeta(m)
	return nil
}

func (r *Registry) setMeta(m *storedMeta) {
	r.jws = m.jws
	r.claims = status.RootClaims{Issuer: r.cfg.Issuer, Root: m.root, Depth: m.depth, Count: m.count, Sequence: m.seq, IssuedAt: time.Unix(int64(m.iat), 0).UTC()}
}

// update is what the store holds beyond the first n revoked ids.
type update struct {
	n    uint64 // ids the registry had
	meta *storedMeta
	ids  []uint64 // ids n+1 ... meta.count
}

// fetch reads what the store holds beyond the first n ids and sequence
// seq, in one read transaction. A store behind that (restored from an old
// backup, or another registry's) is [ErrCorrupt]: its roots would go back.
func (r *Registry) fetch(n, seq uint64) (*update, error) {
	u := &update{n: n}
	err := r.store.View(func(tx Tx) error {
		var err error
		if u.meta, err = readMeta(tx); err != nil {
			return err
		}
		if u.meta.count < n || u.meta.seq < seq {
			return fmt.Errorf("%w: the store went back (count %d, sequence %d; this registry has %d, %d)", ErrCorrupt, u.meta.count, u.meta.seq, n, seq)
		}
		u.ids, err = readRevoked(tx, n, u.meta.count)
		return err
	})
	if err != nil {
		return nil, viewErr(err)
	}
	return u, nil
}

// applyLocked adds a fetched update to the in-memory state, which changes
// only if the new ids reproduce the stored root.
func (r *Registry) applyLocked(u *update) error {
	if uint64(len(r.ids)) != u.n {
		return errors.New("status: internal error: update applied to another state")
	}
	if u.meta.depth != r.tree.Depth() {
		return fmt.Errorf("%w: stored depth %d, tree depth %d", ErrCorrupt, u.meta.depth, r.tree.Depth())
	}
	for _, id := range u.ids {
		if err := checkID(id); err != nil {
			r.reloadAfterFailure()
			return fmt.Errorf("%w: stored id: %w", ErrCorrupt, err)
		}
		if err := r.tree.Insert(u64(id)); err != nil {
			r.reloadAfterFailure()
			return fmt.Errorf("%w: stored id %d: %w", ErrCorrupt, id, err)
		}
	}
	if root := r.tree.Root(); root != u.meta.root {
		if len(u.ids) > 0 {
			r.reloadAfterFailure()
		}
		return fmt.Errorf("%w: revoked ids do not reproduce the stored root", ErrCorrupt)
	}
	r.ids = append(r.ids, u.ids...)
	r.setMeta(u.meta)
	return nil
}

// Sync brings the registry up to date with its store: the ids, root and
// signed root another [Registry] on the same store (the writer instance, on
// a [PostgresStore]) committed since this one last read or wrote. The
// in-memory state changes atomically and only to a state whose ids
// reproduce its root. A registry that only reads (a [PostgresStore]
// instance that is not the writer) calls it periodically, for instance
// every few seconds; a change made on this instance syncs first by itself.
func (r *Registry) Sync() error {
	for {
		r.mu.RLock()
		n, seq := uint64(len(r.ids)), r.claims.Sequence
		r.mu.RUnlock()
		u, err := r.fetch(n, seq)
		if err != nil {
			return err
		}
		r.mu.Lock()
		if uint64(len(r.ids)) != n || r.claims.Sequence != seq {
			r.mu.Unlock() // a change or another Sync got there first
			continue
		}
		err = r.applyLocked(u)
		r.mu.Unlock()
		return err
	}
}

// writerStore is a [Store] with an elected writer ([PostgresStore]).
type writerStore interface {
	// claim takes the writer lock if no instance holds it and returns the
	// epoch of this instance's tenure, or ErrNotWriter.
	claim() (int64, error)
}

// prepareWriteLocked makes sure this instance may write and its state is
// the store's, before a change computes a new root from it.
func (r *Registry) prepareWriteLocked() error {
	if ws, ok := r.store.(writerStore); ok {
		epoch, err := ws.claim()
		if err != nil {
			return err
		}
		if epoch == r.epoch {
			return nil // the writer since its last sync: nobody else wrote
		}
		if err := r.syncLocked(); err != nil {
			return err
		}
		r.epoch = epoch
		return nil
	}
	return r.syncLocked()
}

func (r *Registry) syncLocked() error {
	u, err := r.fetch(uint64(len(r.ids)), r.claims.Sequence)
	if err != nil {
		return err
	}
	return r.applyLocked(u)
}

// fence is the check every change makes inside its write transaction: the
// store holds exactly the state the change was computed from.
func (r *Registry) fence(tx Tx) error {
	c, s := tx.Get(bucketMeta, []byte("count")), tx.Get(bucketMeta, []byte("seq"))
	if len(c) != 8 || len(s) != 8 || binary.BigEndian.Uint64(c) != uint64(len(r.ids)) || binary.BigEndian.Uint64(s) != r.claims.Sequence {
		return fmt.Errorf("%w: store changed behind the registry (another writer on the same store?)", ErrCorrupt)
	}
	return nil
}

// Revoke revokes ids in one change: it inserts them in the revocation tree,
// signs the new root (sequence + 1) and commits everything in one durable
// store transaction; when it returns nil the revocation survives a crash.
// It returns an error wrapping [status.ErrRevoked] if an id is already revoked or
// repeated, [status.ErrOutOfRange] for an id outside [1, 2^64-2] and [status.ErrTreeFull]
// when the tree has no room; then nothing changes.
func (r *Registry) Revoke(ids ...uint64) (*status.RootClaims, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: no ids", status.ErrOutOfRange)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.prepareWriteLocked(); err != nil {
		return nil, err
	}
	seen := make(map[uint64]struct{}, len(ids))
	for _, id := range ids {
		if err := checkID(id); err != nil {
			return nil, err
		}
		if _, dup := seen[id]; dup {
			return nil, fmt.Errorf("%w: id %d repeated", status.ErrRevoked, id)
		}
		seen[id] = struct{}{}
		if r.tree.Contains(u64(id)) {
			return nil, fmt.Errorf("%w: id %d already revoked", status.ErrRevoked, id)
		}
	}
	if d := r.tree.Depth(); d < 64 && uint64(len(r.ids)+1+len(ids)) > uint64(1)<<uint(d) {
		return nil, fmt.Errorf("%w: %d more ids do not fit", status.ErrTreeFull, len(ids))
	}
	for _, id := range ids {
		if err := r.tree.Insert(u64(id)); err != nil {
			r.reloadAfterFailure()
			return nil, fmt.Errorf("status: internal error: %w", err)
		}
	}
	claims := status.RootClaims{
		Issuer: r.cfg.Issuer, Root: r.tree.Root(), Depth: r.tree.Depth(),
		Count: uint64(len(r.ids) + len(ids)), Sequence: r.claims.Sequence + 1, IssuedAt: r.now(),
	}
	jws, err := status.SignRoot(&claims, r.cfg.Signer, r.cfg.KeyID)
	if err == nil {
		err = r.store.Update(func(tx Tx) error {
			if err := r.fence(tx); err != nil {
				return err
			}
			for i, id := range ids {
				if err := tx.Put(bucketRevoked, be64(uint64(len(r.ids)+i+1)), be64(id)); err != nil {
					return err
				}
			}
			return putRoot(tx, &claims, jws)
		})
		if err != nil {
			err = storeErr(err)
		}
	}
	if err != nil {
		r.reloadAfterFailure()
		return nil, err
	}
	r.ids = append(r.ids, ids...)
	r.claims, r.jws = claims, jws
	c := claims
	return &c, nil
}

// reloadAfterFailure restores the in-memory tree from the store after a
// failed change. If even that fails, the registry rebuilds the tree of its
// last committed state, and the load error surfaces on reopen.
func (r *Registry) reloadAfterFailure() {
	if err := r.load(); err != nil {
		s := status.Snapshot{Depth: r.tree.Depth(), Sequence: r.claims.Sequence, Root: r.claims.Root, IDs: r.ids}
		if t, err := s.Tree(); err == nil {
			r.tree = t
		}
	}
}

// checkID checks id is a revocation id, in [1, 2^64-2].
func checkID(id uint64) error {
	if id == 0 || id == ^uint64(0) {
		return fmt.Errorf("%w: revocation id %d not in [1, 2^64-2]", status.ErrOutOfRange, id)
	}
	return nil
}

func u64(v uint64) fr.Element {
	var e fr.Element
	e.SetUint64(v)
	return e
}

// IsRevoked reports whether id is revoked.
func (r *Registry) IsRevoked(id uint64) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return checkID(id) == nil && r.tree.Contains(u64(id))
}

// Root returns the claims of the latest root.
func (r *Registry) Root() status.RootClaims {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.claims
}

// SignedRoot returns the latest signed root (a compact JWS, see
// [RootClaims]), as committed with the last change.
func (r *Registry) SignedRoot() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.jws
}

// RefreshRoot re-signs the current root with the current time (same
// sequence and count) and stores it, so that verifiers enforcing a maximum
// root age keep accepting it while nothing is revoked. Call it well within
// the verifiers' maximum age (for instance hourly for a one-day policy).
func (r *Registry) RefreshRoot() (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.prepareWriteLocked(); err != nil {
		return "", err
	}
	claims := r.claims
	claims.IssuedAt = r.now()
	jws, err := status.SignRoot(&claims, r.cfg.Signer, r.cfg.KeyID)
	if err != nil {
		return "", err
	}
	err = r.store.Update(func(tx Tx) error {
		if err := r.fence(tx); err != nil {
			return err
		}
		return putRoot(tx, &claims, jws)
	})
	if err != nil {
		return "", storeErr(err)
	}
	r.claims, r.jws = claims, jws
	return jws, nil
}

// RevokedSince returns the revoked ids after the first n, in insertion
// order (the revocation tree's leaf order: the id at leaf index n+1
// first), at most max of them (max <= 0: all), and the claims of the
// current root, whose Count is the number of ids revoked in all. It reads
// memory only: the cost is the copy. A log feeding on the registry calls it
// with the count it has so far.
func (r *Registry) RevokedSince(n uint64, max int) ([]uint64, status.RootClaims) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if n >= uint64(len(r.ids)) {
		return nil, r.claims
	}
	ids := r.ids[n:]
	if max > 0 && len(ids) > max {
		ids = ids[:max]
	}
	return append([]uint64(nil), ids...), r.claims
}

// Snapshot returns the holder snapshot of the current tree.
func (r *Registry) Snapshot() *status.Snapshot {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return &status.Snapshot{Depth: r.tree.Depth(), Sequence: r.claims.Sequence, Root: r.claims.Root, IDs: append([]uint64(nil), r.ids...)}
}

// Witness returns the non-membership witness of id against the current
// root (issuer side; holders use [status.Snapshot] so the issuer does not
// learn which id they present). It wraps [status.ErrRevoked] for a revoked
// id.
func (r *Registry) Witness(id uint64) (*status.Witness, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return status.NonRevocationWitness(r.tree, id)
}

// NewRevocationID draws a fresh random revocation id in [1, 2^64-2] that
// was never issued by this registry, and records it as issued (durably).
func (r *Registry) NewRevocationID() (uint64, error) {
	var id uint64
	err := r.store.Update(func(tx Tx) error {
		var b [8]byte
		for range 64 {
			if _, err := io.ReadFull(r.cfg.Rand, b[:]); err != nil {
				return fmt.Errorf("%w: %w", errRandom, err)
			}
			v := binary.BigEndian.Uint64(b[:])
			if checkID(v) != nil || tx.Get(bucketIssued, b[:]) != nil {
				continue
			}
			id = v
			return tx.Put(bucketIssued, b[:], []byte{})
		}
		return errDrawExhausted
	})
	if err != nil {
		return 0, storeErr(err)
	}
	return id, nil
}

var (
	errDrawExhausted = errors.New("status: could not draw a fresh value (broken randomness or full list)")
	errRandom        = errors.New("status: reading randomness")
)

// storeErr wraps an error from a store transaction with ErrStore unless it
// is one of this package's own or [status.ErrOutOfRange].
func storeErr(err error) error {
	for _, own := range []error{errDrawExhausted, errRandom, ErrCorrupt, ErrNotWriter, status.ErrOutOfRange} {
		if errors.Is(err, own) {
			return err
		}
	}
	return fmt.Errorf("%w: %w", ErrStore, err)
}

// Issued reports whether id was drawn by [Registry.NewRevocationID].
func (r *Registry) Issued(id uint64) (bool, error) {
	var ok bool
	err := r.store.View(func(tx Tx) error {
		ok = tx.Get(bucketIssued, be64(id)) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrStore, err)
	}
	return ok, nil
}

// validListName allows printable ASCII without NUL (the key separator).
func validListName(name string) error {
	if name == "" || len(name) > 256 {
		return fmt.Errorf("%w: status list name length", status.ErrConfig)
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 0x21 || name[i] > 0x7e {
			return fmt.Errorf("%w: status list name must be printable ASCII", status.ErrConfig)
		}
	}
	return nil
}

// AllocateStatusIndex draws a random unused index of status list name (as
// Bitstring Status List §2.1 recommends) and records it durably.
func (r *Registry) AllocateStatusIndex(name string) (uint64, error) {
	if err := validListName(name); err != nil {
		return 0, err
	}
	n := uint64(r.cfg.StatusListBits)
	var idx uint64
	err := r.store.Update(func(tx Tx) error {
		var b [8]byte
		for range 1024 {
			if _, err := io.ReadFull(r.cfg.Rand, b[:]); err != nil {
				return fmt.Errorf("%w: %w", errRandom, err)
			}
			// Rejection sampling keeps the index uniform.
			v := binary.BigEndian.Uint64(b[:])
			if v >= ^uint64(0)-(^uint64(0)%n) {
				continue
			}
			key := append(append([]byte(name), 0), be64(v%n)...)
			if tx.Get(bucketListIdx, key) != nil {
				continue
			}
			idx = v % n
			return tx.Put(bucketListIdx, key, []byte{})
		}
		return fmt.Errorf("%w: status list %q is (nearly) full: %w", status.ErrOutOfRange, name, errDrawExhausted)
	})
	if err != nil {
		return 0, storeErr(err)
	}
	return idx, nil
}

// SetStatus sets (value true) or clears bit index of status list name,
// durably. Revocation lists should only ever set bits (§2.1: revocation
// is not reversible); suspension lists may clear them.
func (r *Registry) SetStatus(name string, index uint64, value bool) error {
	if err := validListName(name); err != nil {
		return err
	}
	if index >= uint64(r.cfg.StatusListBits) {
		return fmt.Errorf("%w: status index %d beyond %d bits", status.ErrOutOfRange, index, r.cfg.StatusListBits)
	}
	err := r.store.Update(func(tx Tx) error {
		bits := bytes.Clone(tx.Get(bucketLists, []byte(name)))
		if bits == nil {
			bits = make([]byte, r.cfg.StatusListBits/8)
		}
		if len(bits)*8 != r.cfg.StatusListBits {
			return fmt.Errorf("%w: status list %q has %d bits", ErrCorrupt, name, len(bits)*8)
		}
		mask := byte(0x80) >> (index % 8)
		if value {
			bits[index/8] |= mask
		} else {
			bits[index/8] &^= mask
		}
		return tx.Put(bucketLists, []byte(name), bits)
	})
	if err != nil {
		return storeErr(err)
	}
	return nil
}

// StatusBits returns a copy of the bitstring of status list name (all
// zeros if no bit was ever set).
func (r *Registry) StatusBits(name string) ([]byte, error) {
	if err := validListName(name); err != nil {
		return nil, err
	}
	var bits []byte
	err := r.store.View(func(tx Tx) error {
		bits = bytes.Clone(tx.Get(bucketLists, []byte(name)))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	if bits == nil {
		bits = make([]byte, r.cfg.StatusListBits/8)
	}
	return bits, nil
}

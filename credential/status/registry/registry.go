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
// concurrent use: changes are serialized, reads run in parallel. Open one
// Registry per store; a second one writing to the same store is detected
// ([ErrCorrupt]) rather than allowed to fork the tree.
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
	var fresh bool
	err := store.View(func(tx Tx) error {
		fresh = tx.Get(bucketMeta, []byte("version")) == nil
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	if fresh {
		if err := r.create(); err != nil {
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

func (r *Registry) create() error {
	depth := r.cfg.Depth
	if depth == 0 {
		depth = status.DefaultDepth
	}
	t, err := status.NewTree(depth, status.RevocationMax())
	if err != nil {
		return fmt.Errorf("%w: %w", status.ErrConfig, err)
	}
	claims := status.RootClaims{Issuer: r.cfg.Issuer, Root: t.Root(), Depth: depth, IssuedAt: r.cfg.Now()}
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
		return fmt.Errorf("%w: %w", ErrStore, err)
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

// load rebuilds the in-memory state from the store and checks it.
func (r *Registry) load() error {
	var (
		depth      int
		count, seq uint64
		iat        uint64
		root       fr.Element
		jws        string
		ids        []uint64
	)
	err := r.store.View(func(tx Tx) error {
		v := tx.Get(bucketMeta, []byte("version"))
		if len(v) != 1 || v[0] != registryVersion {
			return fmt.Errorf("%w: unsupported store version", ErrCorrupt)
		}
		d := tx.Get(bucketMeta, []byte("depth"))
		c, s, ia, rt := tx.Get(bucketMeta, []byte("count")), tx.Get(bucketMeta, []byte("seq")), tx.Get(bucketMeta, []byte("iat")), tx.Get(bucketMeta, []byte("root"))
		if len(d) != 1 || len(c) != 8 || len(s) != 8 || len(ia) != 8 || len(rt) != 32 {
			return fmt.Errorf("%w: malformed meta", ErrCorrupt)
		}
		depth, count, seq, iat = int(d[0]), binary.BigEndian.Uint64(c), binary.BigEndian.Uint64(s), binary.BigEndian.Uint64(ia)
		if err := root.SetBytesCanonical(rt); err != nil {
			return fmt.Errorf("%w: stored root not canonical", ErrCorrupt)
		}
		jws = string(tx.Get(bucketMeta, []byte("jws")))
		ids = make([]uint64, 0, count)
		return tx.ForEach(bucketRevoked, func(k, v []byte) error {
			if len(k) != 8 || len(v) != 8 || binary.BigEndian.Uint64(k) != uint64(len(ids))+1 {
				return fmt.Errorf("%w: revoked ids not contiguous", ErrCorrupt)
			}
			ids = append(ids, binary.BigEndian.Uint64(v))
			return nil
		})
	})
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	if uint64(len(ids)) != count {
		return fmt.Errorf("%w: %d revoked ids, meta says %d", ErrCorrupt, len(ids), count)
	}
	// Snapshot.Tree rebuilds the tree and checks it has the stored root.
	t, err := (&status.Snapshot{Depth: depth, Sequence: seq, Root: root, IDs: ids}).Tree()
	if err != nil {
		return fmt.Errorf("%w: revoked ids do not reproduce the stored tree: %w", ErrCorrupt, err)
	}
	r.tree, r.ids, r.jws = t, ids, jws
	r.claims = status.RootClaims{Issuer: r.cfg.Issuer, Root: root, Depth: depth, Count: count, Sequence: seq, IssuedAt: time.Unix(int64(iat), 0).UTC()}
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
		Count: uint64(len(r.ids) + len(ids)), Sequence: r.claims.Sequence + 1, IssuedAt: r.cfg.Now(),
	}
	jws, err := status.SignRoot(&claims, r.cfg.Signer, r.cfg.KeyID)
	if err == nil {
		err = r.store.Update(func(tx Tx) error {
			// One Registry per store: refuse to write over changes made
			// behind this one's back.
			if c := tx.Get(bucketMeta, []byte("count")); len(c) != 8 || binary.BigEndian.Uint64(c) != uint64(len(r.ids)) {
				return fmt.Errorf("%w: store changed behind the registry (another Registry on the same store?)", ErrCorrupt)
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
	claims := r.claims
	claims.IssuedAt = r.cfg.Now()
	jws, err := status.SignRoot(&claims, r.cfg.Signer, r.cfg.KeyID)
	if err != nil {
		return "", err
	}
	if err := r.store.Update(func(tx Tx) error { return putRoot(tx, &claims, jws) }); err != nil {
		return "", fmt.Errorf("%w: %w", ErrStore, err)
	}
	r.claims, r.jws = claims, jws
	return jws, nil
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
	for _, own := range []error{errDrawExhausted, errRandom, ErrCorrupt, status.ErrOutOfRange} {
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
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	return err
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

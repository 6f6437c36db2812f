package verifier

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"time"

	json "github.com/go-json-experiment/json"
	bolt "go.etcd.io/bbolt"

	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier/protocol"
)

// Embedded store layout (bbolt), version 2. Buckets:
//
//	"meta"       "version" -> "2"
//	"requests"   id -> JSON boltRequest{v:1, id, nonce, body, exp, created, answered}
//	"nonces"     nonce -> id
//	"nullifiers" u16be(len(scope)) ‖ scope ‖ nullifier -> JSON {request, at}
//	"rootfloors" issuer DID -> u64be(highest revocation root sequence accepted)
//
// Times are Unix nanoseconds. Records are JSON written and read by this
// package, read back with json v2 semantics (unknown or duplicate members
// refused). Every write is one bbolt transaction, which is fsynced before it
// returns (durable on return); concurrent answers share one (group commit,
// see [BoltStore.Answer]). Version 1 (no "rootfloors") is upgraded in
// place when opened; version 1 code refuses a version 2 file, so an old
// binary cannot share it while ignoring the floors.
const boltVersion = "2"

var (
	bucketMeta       = []byte("meta")
	bucketRequests   = []byte("requests")
	bucketNonces     = []byte("nonces")
	bucketNullifiers = []byte("nullifiers")
	bucketRootFloors = []byte("rootfloors")
)

// BoltStore is the embedded [Store], a bbolt file for one process.
type BoltStore struct {
	db *bolt.DB

	// Group commit (see Answer): answers go to one committer goroutine.
	answers   chan *boltPending
	closing   chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// boltPending is an answer waiting for the committer.
type boltPending struct {
	a    *AnswerRecord
	done chan error // buffered: the committer never blocks on it
}

// maxGroupCommit bounds the answers committed in one transaction.
const maxGroupCommit = 256

var _ Store = (*BoltStore)(nil)

// OpenBolt opens (creating if needed) the bbolt file at path. It waits at
// most one second for the file lock held by another process.
func OpenBolt(path string) (*BoltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("%w: opening %s: %v", ErrStore, path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketRequests, bucketNonces, bucketNullifiers, bucketRootFloors} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		m, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		switch v := m.Get([]byte("version")); {
		case v == nil || string(v) == "1": // new, or version 1 upgraded (bucket created above)
			return m.Put([]byte("version"), []byte(boltVersion))
		case string(v) != boltVersion:
			return fmt.Errorf("unsupported store version %q", v)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: initializing %s: %v", ErrStore, path, err)
	}
	s := &BoltStore{db: db, answers: make(chan *boltPending), closing: make(chan struct{}), stopped: make(chan struct{})}
	go s.commitLoop()
	return s, nil
}

type boltRequest struct {
	V        int    `json:"v"`
	ID       string `json:"id"`
	Nonce    []byte `json:"nonce"`
	Body     []byte `json:"body"`
	Exp      int64  `json:"exp"`
	Created  int64  `json:"created"`
	Answered int64  `json:"answered,omitzero"`
}

func (r *boltRequest) stored() *StoredRequest {
	s := &StoredRequest{
		ID: r.ID, Nonce: r.Nonce, Body: r.Body,
		ExpiresAt: time.Unix(0, r.Exp).UTC(), CreatedAt: time.Unix(0, r.Created).UTC(),
	}
	if r.Answered != 0 {
		s.AnsweredAt = time.Unix(0, r.Answered).UTC()
	}
	return s
}

func checkStoredRequest(r *StoredRequest) error {
	switch {
	case r == nil:
		return fmt.Errorf("%w: nil request", protocol.ErrInvalidRequest)
	case r.ID == "" || len(r.ID) > maxIDLen:
		return fmt.Errorf("%w: bad request id length", protocol.ErrInvalidRequest)
	case len(r.Nonce) == 0 || len(r.Nonce) > maxIDLen:
		return fmt.Errorf("%w: bad nonce length", protocol.ErrInvalidRequest)
	case len(r.Body) > maxBodyLen:
		return fmt.Errorf("%w: request body too large", protocol.ErrInvalidRequest)
	case r.ExpiresAt.Before(minStoreTime) || r.ExpiresAt.After(maxStoreTime) ||
		r.CreatedAt.Before(minStoreTime) || r.CreatedAt.After(maxStoreTime):
		return fmt.Errorf("%w: request times outside [1970, 2200]", protocol.ErrInvalidRequest)
	}
	return nil
}

func checkNullifier(scope string, nullifier []byte) error {
	if len(scope) > maxScopeLen {
		return fmt.Errorf("%w: scope too long", protocol.ErrInvalidRequest)
	}
	if scope != "" && (len(nullifier) == 0 || len(nullifier) > maxNullifierLen) {
		return fmt.Errorf("%w: bad nullifier length", protocol.ErrMalformedPresentation)
	}
	return nil
}

// CreateRequest implements [Store].
func (s *BoltStore) CreateRequest(ctx context.Context, r *StoredRequest) error {
	if err := checkStoredRequest(r); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	rec := boltRequest{V: 1, ID: r.ID, Nonce: r.Nonce, Body: r.Body,
		Exp: r.ExpiresAt.UnixNano(), Created: r.CreatedAt.UnixNano()}
	if !r.AnsweredAt.IsZero() {
		rec.Answered = r.AnsweredAt.UnixNano()
	}
	val, err := json.Marshal(&rec)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		reqs, nonces := tx.Bucket(bucketRequests), tx.Bucket(bucketNonces)
		if reqs.Get([]byte(r.ID)) != nil || nonces.Get(r.Nonce) != nil {
			return ErrDuplicateRequest
		}
		if err := reqs.Put([]byte(r.ID), val); err != nil {
			return err
		}
		return nonces.Put(r.Nonce, []byte(r.ID))
	})
	return storeErr("bbolt", err)
}

// GetRequest implements [Store].
func (s *BoltStore) GetRequest(ctx context.Context, id string) (*StoredRequest, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStore, err)
	}
	var rec boltRequest
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRequests).Get([]byte(id))
		if v == nil {
			return ErrUnknownRequest
		}
		return strictjson.Unmarshal(v, &rec)
	})
	if err != nil {
		return nil, storeErr("bbolt", err)
	}
	return rec.stored(), nil
}

// Answer implements [Store].
//
// Group commit: concurrent answers are committed together, in one bbolt
// transaction and so one fsync, by a committer goroutine that takes every
// answer waiting when the previous commit ends (no timer: a lone answer is
// committed at once). Each answer stays atomic and independent: its checks
// (request known, unanswered, unexpired; floors; nullifier) run against the
// transaction as the answers before it in the batch left it, and only when
// all pass are its writes made, so a refused answer writes nothing and does
// not affect the others. Should the transaction itself fail (a write or the
// commit), each answer of the batch is retried in a transaction of its
// own. Answer returns after the transaction holding its answer is
// committed and fsynced: nothing acknowledged is lost. Once an answer is
// handed to the committer, ctx no longer interrupts it.
//
// Why not bbolt's DB.Batch: it waits up to MaxBatchDelay (10 ms by
// default) for a batch to fill, which caps a closed loop of n clients near
// n answers per 10 ms; and any error a batched function returns (ErrReplay,
// ErrDuplicateNullifier: ordinary outcomes here) rolls back the whole
// batch and re-runs every other function in it. BenchmarkBoltAnswer
// measures both.
func (s *BoltStore) Answer(ctx context.Context, a *AnswerRecord) error {
	if err := checkAnswer(a); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	p := &boltPending{a: a, done: make(chan error, 1)}
	select {
	case s.answers <- p:
	case <-s.closing:
		return fmt.Errorf("%w: bbolt: store closed", ErrStore)
	case <-ctx.Done():
		return fmt.Errorf("%w: %v", ErrStore, ctx.Err())
	}
	return <-p.done
}

// commitLoop is the committer: it commits the answers waiting, together,
// until the store closes.
func (s *BoltStore) commitLoop() {
	defer close(s.stopped)
	batch := make([]*boltPending, 0, maxGroupCommit)
	for {
		batch = batch[:0]
		select {
		case p := <-s.answers:
			batch = append(batch, p)
		case <-s.closing:
			return
		}
		// Let the callers just woken by the previous commit (runnable,
		// about to send) reach the channel: bigger batches, no timer.
		runtime.Gosched()
	drain:
		for len(batch) < maxGroupCommit {
			select {
			case p := <-s.answers:
				batch = append(batch, p)
			default:
				break drain
			}
		}
		s.commitBatch(batch)
	}
}

// commitBatch commits batch in one transaction, each answer's outcome its
// own; if the transaction fails, each answer is retried alone.
func (s *BoltStore) commitBatch(batch []*boltPending) {
	outcomes := make([]error, len(batch))
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i, p := range batch {
			w, err := boltAnswerChecks(tx, p.a)
			if err != nil {
				outcomes[i] = err // nothing written for this answer
				continue
			}
			if err := w.apply(tx); err != nil {
				return err // partly written: abort the transaction
			}
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		for _, p := range batch {
			p.done <- storeErr("bbolt", s.db.Update(func(tx *bolt.Tx) error { return boltAnswerTx(tx, p.a) }))
		}
		return
	}
	for i, p := range batch {
		if err != nil {
			p.done <- storeErr("bbolt", err)
		} else {
			p.done <- storeErr("bbolt", outcomes[i])
		}
	}
}

// boltAnswerTx records a in tx: checks, then writes.
func boltAnswerTx(tx *bolt.Tx, a *AnswerRecord) error {
	w, err := boltAnswerChecks(tx, a)
	if err != nil {
		return err
	}
	return w.apply(tx)
}

// boltAnswerWrites are the writes of an answer that passed its checks.
type boltAnswerWrites struct {
	id, request []byte
	floors      [][2][]byte // issuer, u64be(sequence)
	nullKey     []byte      // nil for an unscoped answer
	nullVal     []byte
}

// boltAnswerChecks reads what Answer checks and returns its writes,
// writing nothing. Errors are the answer's outcome.
func boltAnswerChecks(tx *bolt.Tx, a *AnswerRecord) (*boltAnswerWrites, error) {
	id, now := a.RequestID, a.At
	v := tx.Bucket(bucketRequests).Get([]byte(id))
	if v == nil {
		return nil, ErrUnknownRequest
	}
	var rec boltRequest
	if err := strictjson.Unmarshal(v, &rec); err != nil {
		return nil, err
	}
	if rec.Answered != 0 {
		return nil, ErrReplay
	}
	if now.UnixNano() >= rec.Exp {
		return nil, ErrExpiredRequest
	}
	w := &boltAnswerWrites{id: []byte(id)}
	floors := tx.Bucket(bucketRootFloors)
	for _, f := range a.floors() {
		floor, err := boltFloor(floors, f.issuer)
		if err != nil {
			return nil, err
		}
		if f.min < floor {
			return nil, staleFloor(f.issuer, f.min, floor)
		}
		if f.max > floor || floors.Get([]byte(f.issuer)) == nil {
			w.floors = append(w.floors, [2][]byte{[]byte(f.issuer), binary.BigEndian.AppendUint64(nil, f.max)})
		}
	}
	if a.Scope != "" {
		w.nullKey = nullifierKey(a.Scope, a.Nullifier)
		if tx.Bucket(bucketNullifiers).Get(w.nullKey) != nil {
			return nil, ErrDuplicateNullifier
		}
		val, err := json.Marshal(struct {
			Request string `json:"request"`
			At      int64  `json:"at"`
		}{id, now.UnixNano()})
		if err != nil {
			return nil, err
		}
		w.nullVal = val
	}
	rec.Answered = now.UnixNano()
	val, err := json.Marshal(&rec)
	if err != nil {
		return nil, err
	}
	w.request = val
	return w, nil
}

// apply makes the writes; an error leaves them partly made.
func (w *boltAnswerWrites) apply(tx *bolt.Tx) error {
	floors := tx.Bucket(bucketRootFloors)
	for _, f := range w.floors {
		if err := floors.Put(f[0], f[1]); err != nil {
			return err
		}
	}
	if w.nullKey != nil {
		if err := tx.Bucket(bucketNullifiers).Put(w.nullKey, w.nullVal); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketRequests).Put(w.id, w.request)
}

// DeleteExpired implements [Store].
func (s *BoltStore) DeleteExpired(ctx context.Context, t time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrStore, err)
	}
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		reqs, nonces := tx.Bucket(bucketRequests), tx.Bucket(bucketNonces)
		var dead [][]byte
		var deadNonces [][]byte
		err := reqs.ForEach(func(k, v []byte) error {
			var rec boltRequest
			if err := strictjson.Unmarshal(v, &rec); err != nil {
				return err
			}
			if !time.Unix(0, rec.Exp).After(t) {
				dead = append(dead, bytes.Clone(k))
				deadNonces = append(deadNonces, rec.Nonce)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i, k := range dead {
			if err := reqs.Delete(k); err != nil {
				return err
			}
			if err := nonces.Delete(deadNonces[i]); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	if err != nil {
		return 0, storeErr("bbolt", err)
	}
	return n, nil
}

// RootFloor implements [Store].
func (s *BoltStore) RootFloor(ctx context.Context, issuer string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrStore, err)
	}
	var floor uint64
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		floor, err = boltFloor(tx.Bucket(bucketRootFloors), issuer)
		return err
	})
	if err != nil {
		return 0, storeErr("bbolt", err)
	}
	return floor, nil
}

func boltFloor(b *bolt.Bucket, issuer string) (uint64, error) {
	v := b.Get([]byte(issuer))
	switch len(v) {
	case 0:
		return 0, nil
	case 8:
		return binary.BigEndian.Uint64(v), nil
	}
	return 0, fmt.Errorf("corrupt root floor for %.200s", issuer)
}

// Close implements [Store]. It waits for the answers being committed;
// answers not yet taken by the committer fail with [ErrStore].
func (s *BoltStore) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.stopped
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("%w: %v", ErrStore, err)
		}
	})
	return s.closeErr
}

func nullifierKey(scope string, nullifier []byte) []byte {
	k := make([]byte, 2, 2+len(scope)+len(nullifier))
	binary.BigEndian.PutUint16(k, uint16(len(scope)))
	k = append(k, scope...)
	return append(k, nullifier...)
}

package verifier

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
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
// returns (durable on return). Version 1 (no "rootfloors") is upgraded in
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
}

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
	return &BoltStore{db: db}, nil
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

// Answer implements [Store]. bbolt serializes writers, so the checks and
// writes below form one atomic transaction.
func (s *BoltStore) Answer(ctx context.Context, a *AnswerRecord) error {
	if err := checkAnswer(a); err != nil {
		return err
	}
	id, now, scope, nullifier := a.RequestID, a.At, a.Scope, a.Nullifier
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		reqs := tx.Bucket(bucketRequests)
		v := reqs.Get([]byte(id))
		if v == nil {
			return ErrUnknownRequest
		}
		var rec boltRequest
		if err := strictjson.Unmarshal(v, &rec); err != nil {
			return err
		}
		if rec.Answered != 0 {
			return ErrReplay
		}
		if now.UnixNano() >= rec.Exp {
			return ErrExpiredRequest
		}
		floors := tx.Bucket(bucketRootFloors)
		for _, f := range a.floors() {
			floor, err := boltFloor(floors, f.issuer)
			if err != nil {
				return err
			}
			if f.min < floor {
				return staleFloor(f.issuer, f.min, floor)
			}
			if f.max > floor || floors.Get([]byte(f.issuer)) == nil {
				if err := floors.Put([]byte(f.issuer), binary.BigEndian.AppendUint64(nil, f.max)); err != nil {
					return err
				}
			}
		}
		if scope != "" {
			nulls := tx.Bucket(bucketNullifiers)
			k := nullifierKey(scope, nullifier)
			if nulls.Get(k) != nil {
				return ErrDuplicateNullifier
			}
			val, err := json.Marshal(struct {
				Request string `json:"request"`
				At      int64  `json:"at"`
			}{id, now.UnixNano()})
			if err != nil {
				return err
			}
			if err := nulls.Put(k, val); err != nil {
				return err
			}
		}
		rec.Answered = now.UnixNano()
		val, err := json.Marshal(&rec)
		if err != nil {
			return err
		}
		return reqs.Put([]byte(id), val)
	})
	return storeErr("bbolt", err)
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

// Close implements [Store].
func (s *BoltStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	return nil
}

func nullifierKey(scope string, nullifier []byte) []byte {
	k := make([]byte, 2, 2+len(scope)+len(nullifier))
	binary.BigEndian.PutUint16(k, uint16(len(scope)))
	k = append(k, scope...)
	return append(k, nullifier...)
}

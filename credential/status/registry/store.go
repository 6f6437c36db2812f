package registry

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Store is the transactional key-value store a [Registry] keeps its state
// in: [BoltStore] (one process) or [PostgresStore] (several instances, one
// writer at a time). Update must be atomic and durable: when it returns
// nil, every Put of the transaction survives a crash of the process; when
// fn or the commit fails, none does. View must see one consistent snapshot
// of committed state. Transactions may run concurrently with View.
type Store interface {
	View(fn func(Tx) error) error
	Update(fn func(Tx) error) error
}

// Tx is a transaction of a [Store]. Slices returned by Get and passed to
// ForEach are valid only during the transaction. A missing bucket reads as
// empty. A store that can fail mid-transaction (a network database) returns
// nil from Get after a failure and then fails the whole transaction with
// that error, whatever fn returns.
type Tx interface {
	Get(bucket, key []byte) []byte
	Put(bucket, key, value []byte) error
	// ForEach calls fn for each key of bucket at or after from (nil: every
	// key) in byte order. fn must not call the Tx.
	ForEach(bucket, from []byte, fn func(k, v []byte) error) error
}

// BoltStore is a [Store] in one bbolt file: pure Go, copy-on-write B+tree,
// every Update commits with fsync.
type BoltStore struct {
	db *bolt.DB
}

var _ Store = (*BoltStore)(nil)

// ErrStore is wrapped by errors from opening or using a store.
var ErrStore = errors.New("status: store error")

// OpenBoltStore opens (creating if needed) the bbolt file at path, waiting
// at most one second for another process's lock. Close it when done.
func OpenBoltStore(path string) (*BoltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %w", ErrStore, path, err)
	}
	return &BoltStore{db: db}, nil
}

// Close closes the file.
func (s *BoltStore) Close() error { return s.db.Close() }

// View runs fn in a read-only transaction.
func (s *BoltStore) View(fn func(Tx) error) error {
	return s.db.View(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

// Update runs fn in a read-write transaction and commits it (with fsync)
// if fn returns nil.
func (s *BoltStore) Update(fn func(Tx) error) error {
	return s.db.Update(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

type boltTx struct{ tx *bolt.Tx }

func (t boltTx) Get(bucket, key []byte) []byte {
	b := t.tx.Bucket(bucket)
	if b == nil {
		return nil
	}
	return b.Get(key)
}

func (t boltTx) Put(bucket, key, value []byte) error {
	b, err := t.tx.CreateBucketIfNotExists(bucket)
	if err != nil {
		return err
	}
	return b.Put(key, value)
}

func (t boltTx) ForEach(bucket, from []byte, fn func(k, v []byte) error) error {
	b := t.tx.Bucket(bucket)
	if b == nil {
		return nil
	}
	c := b.Cursor()
	for k, v := c.Seek(from); k != nil; k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

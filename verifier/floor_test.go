package verifier

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	bolt "go.etcd.io/bbolt"
)

// Revocation-root floors (the highest root sequence accepted per issuer)
// live in the Store: they survive restarts, are shared by instances, move
// only up, and move only with an accepted answer.

func floorOf(t *testing.T, s Store, issuer string) uint64 {
	t.Helper()
	f, err := s.RootFloor(context.Background(), issuer)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func answerAt(t *testing.T, s Store, issuer string, seq uint64, scope string, null []byte) error {
	t.Helper()
	r := newStoredRequest(t, time.Now().Add(time.Hour))
	if err := s.CreateRequest(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return s.Answer(context.Background(), &AnswerRecord{RequestID: r.ID, At: time.Now(),
		Scope: scope, Nullifier: null, Issuer: issuer, RootSequence: seq})
}

func TestStoreRootFloor(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func() Store) {
		s, ctx := open(), context.Background()
		const iss = "did:web:agency.example"
		if f := floorOf(t, s, iss); f != 0 {
			t.Fatalf("fresh floor %d", f)
		}
		if err := answerAt(t, s, iss, 5, "", nil); err != nil {
			t.Fatal(err)
		}
		// An older root is refused, and the refused answer consumes nothing.
		r := newStoredRequest(t, time.Now().Add(time.Hour))
		if err := s.CreateRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		null := randBytes(t, 32)
		old := &AnswerRecord{RequestID: r.ID, At: time.Now(), Scope: "vote", Nullifier: null, Issuer: iss, RootSequence: 4}
		if err := s.Answer(ctx, old); !errors.Is(err, ErrStaleRoot) {
			t.Fatalf("root 4 after 5: %v, want ErrStaleRoot", err)
		}
		if got, _ := s.GetRequest(ctx, r.ID); !got.AnsweredAt.IsZero() {
			t.Fatal("refused answer marked the request answered")
		}
		// Same sequence again is fine (the root did not change).
		old.RootSequence = 5
		if err := s.Answer(ctx, old); err != nil {
			t.Fatalf("root 5 again: %v (nullifier must not have been recorded by the refused answer)", err)
		}
		// A refused answer (duplicate nullifier) does not raise the floor.
		if err := answerAt(t, s, iss, 9, "vote", null); !errors.Is(err, ErrDuplicateNullifier) {
			t.Fatalf("duplicate nullifier: %v", err)
		}
		if f := floorOf(t, s, iss); f != 5 {
			t.Fatalf("floor %d after a refused answer with root 9, want 5", f)
		}
		// Floors are per issuer, and the whole uint64 range keeps its order.
		if err := answerAt(t, s, "did:web:other.example", 1<<63+1, "", nil); err != nil {
			t.Fatal(err)
		}
		if err := answerAt(t, s, "did:web:other.example", 1<<63, "", nil); !errors.Is(err, ErrStaleRoot) {
			t.Fatalf("2^63 after 2^63+1: %v", err)
		}
		if f := floorOf(t, s, "did:web:other.example"); f != 1<<63+1 {
			t.Fatalf("floor %d", f)
		}
		if f := floorOf(t, s, iss); f != 5 {
			t.Fatalf("floor of the first issuer %d", f)
		}
	})
}

// TestStoreRootFloorConcurrent: concurrent raises (through two handles for
// PostgreSQL) keep the maximum.
func TestStoreRootFloorConcurrent(t *testing.T) {
	run := func(t *testing.T, stores ...Store) {
		const iss, n = "did:web:agency.example", 24
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Each answer either raises the floor or is refused as stale.
				if err := answerAt(t, stores[i%len(stores)], iss, uint64(i*7%n), "", nil); err != nil && !errors.Is(err, ErrStaleRoot) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if f := floorOf(t, stores[0], iss); f != n-1 {
			t.Fatalf("floor %d, want %d", f, n-1)
		}
	}
	t.Run("bbolt", func(t *testing.T) { run(t, newBolt(t)) })
	t.Run("postgres", func(t *testing.T) { open := pgSchemaForTest(t); run(t, open(), open()) })
}

// TestBoltV1Upgrade: a version-1 file (before root floors) opens, gains the
// bucket and keeps its requests.
func TestBoltV1Upgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range []string{"requests", "nonces", "nullifiers"} {
			if _, err := tx.CreateBucket([]byte(b)); err != nil {
				return err
			}
		}
		m, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		if err := m.Put([]byte("version"), []byte("1")); err != nil {
			return err
		}
		rec := `{"v":1,"id":"r1","nonce":"AQID","body":"e30=","exp":` + fmt.Sprint(time.Now().Add(time.Hour).UnixNano()) + `,"created":1}`
		if err := tx.Bucket([]byte("nonces")).Put([]byte{1, 2, 3}, []byte("r1")); err != nil {
			return err
		}
		return tx.Bucket([]byte("requests")).Put([]byte("r1"), []byte(rec))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenBolt(path)
	if err != nil {
		t.Fatalf("opening a version 1 file: %v", err)
	}
	defer s.Close()
	if err := s.Answer(context.Background(), &AnswerRecord{RequestID: "r1", At: time.Now(), Issuer: "did:web:a.example", RootSequence: 3}); err != nil {
		t.Fatalf("answering a version 1 request: %v", err)
	}
	if f := floorOf(t, s, "did:web:a.example"); f != 3 {
		t.Fatalf("floor %d", f)
	}
}

// TestPostgresV1Upgrade: a version-1 schema (before root floors) is upgraded.
func TestPostgresV1Upgrade(t *testing.T) {
	open := pgSchemaForTest(t)
	first := open() // creates the current schema; turn it back into version 1
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, first.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DROP TABLE zkcred_root_floors`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE zkcred_verifier_meta SET version = 1`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s := open()
	if err := answerAt(t, s, "did:web:a.example", 3, "", nil); err != nil {
		t.Fatalf("after upgrade: %v", err)
	}
	var v int
	if err := s.pool.QueryRow(ctx, `SELECT version FROM zkcred_verifier_meta`).Scan(&v); err != nil || v != pgSchemaVersion {
		t.Fatalf("schema version %d (%v), want %d", v, err, pgSchemaVersion)
	}
}

// An answer with roots of several issuers raises every floor in its
// transaction; one issuer rolled back refuses the whole answer, and nothing
// of it (request, nullifier, any floor) is recorded.
func TestStoreRootFloorsSeveralIssuers(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func() Store) {
		s, ctx := open(), context.Background()
		const a, b = "did:web:a.example", "did:web:b.example"
		newReq := func() *StoredRequest {
			r := newStoredRequest(t, time.Now().Add(time.Hour))
			if err := s.CreateRequest(ctx, r); err != nil {
				t.Fatal(err)
			}
			return r
		}
		r := newReq()
		if err := s.Answer(ctx, &AnswerRecord{RequestID: r.ID, At: time.Now(),
			Roots: []AnswerRoot{{b, 7}, {a, 3}}}); err != nil {
			t.Fatal(err)
		}
		if fa, fb := floorOf(t, s, a), floorOf(t, s, b); fa != 3 || fb != 7 {
			t.Fatalf("floors %d, %d; want 3, 7", fa, fb)
		}
		// b rolled back (6 < 7): refused, a's floor not raised to 10, the
		// nullifier not recorded, the request not answered.
		r = newReq()
		null := randBytes(t, 32)
		rec := &AnswerRecord{RequestID: r.ID, At: time.Now(), Scope: "vote", Nullifier: null,
			Roots: []AnswerRoot{{a, 10}, {b, 6}}}
		if err := s.Answer(ctx, rec); !errors.Is(err, ErrStaleRoot) {
			t.Fatalf("b rolled back: %v, want ErrStaleRoot", err)
		}
		if fa, fb := floorOf(t, s, a), floorOf(t, s, b); fa != 3 || fb != 7 {
			t.Fatalf("refused answer moved floors to %d, %d", fa, fb)
		}
		if got, _ := s.GetRequest(ctx, r.ID); !got.AnsweredAt.IsZero() {
			t.Fatal("refused answer marked the request answered")
		}
		// Issuer (the single-root fields) and Roots combine; an issuer
		// named twice needs each sequence at its floor and rises to the
		// highest.
		rec.Roots = []AnswerRoot{{b, 9}}
		rec.Issuer, rec.RootSequence = a, 10
		if err := s.Answer(ctx, rec); err != nil {
			t.Fatalf("retry at fresh roots: %v (nothing of the refused answer may be recorded)", err)
		}
		if fa, fb := floorOf(t, s, a), floorOf(t, s, b); fa != 10 || fb != 9 {
			t.Fatalf("floors %d, %d; want 10, 9", fa, fb)
		}
		r = newReq()
		if err := s.Answer(ctx, &AnswerRecord{RequestID: r.ID, At: time.Now(),
			Roots: []AnswerRoot{{a, 12}, {a, 9}}}); !errors.Is(err, ErrStaleRoot) {
			t.Fatalf("a at 12 and 9: %v, want ErrStaleRoot", err)
		}
		if err := s.Answer(ctx, &AnswerRecord{RequestID: r.ID, At: time.Now(),
			Roots: []AnswerRoot{{a, 12}, {a, 10}}}); err != nil {
			t.Fatal(err)
		}
		if fa := floorOf(t, s, a); fa != 12 {
			t.Fatalf("floor %d, want 12", fa)
		}
		if err := s.Answer(ctx, &AnswerRecord{RequestID: newReq().ID, At: time.Now(),
			Roots: []AnswerRoot{{"", 1}}}); err == nil {
			t.Fatal("empty root issuer accepted")
		}
	})
}

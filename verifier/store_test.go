package verifier

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zkcred/zkcred/verifier/protocol"
)

// newBolt opens a bbolt store in a temp dir.
func newBolt(t testing.TB) *BoltStore {
	t.Helper()
	s, err := OpenBolt(filepath.Join(t.TempDir(), "verifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pgSchemaForTest creates a fresh PostgreSQL schema (namespace) so tests do
// not see each other's rows, and returns a function opening stores on it.
func pgSchemaForTest(t testing.TB) func() *PostgresStore {
	t.Helper()
	if postgresDSN() == "" {
		t.Skip("PostgreSQL tests skipped: " + pgSkip)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatalf("connecting to ZKCRED_PG_DSN: %v", err)
	}
	name := "t_" + hex.EncodeToString(randBytes(t, 8))
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE")
		admin.Close(context.Background())
	})
	return func() *PostgresStore {
		cfg, err := pgxpool.ParseConfig(pgDSN)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = name
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewPostgres(ctx, pool)
		if err != nil {
			pool.Close()
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func randBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func newStoredRequest(t testing.TB, exp time.Time) *StoredRequest {
	n := randBytes(t, 16)
	return &StoredRequest{ID: hex.EncodeToString(n), Nonce: n, Body: []byte(`{"x":1}`),
		ExpiresAt: exp, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
}

func forEachStore(t *testing.T, f func(t *testing.T, open func() Store)) {
	t.Run("bbolt", func(t *testing.T) {
		s := newBolt(t)
		f(t, func() Store { return s })
	})
	t.Run("postgres", func(t *testing.T) {
		open := pgSchemaForTest(t)
		s := open()
		f(t, func() Store { return s })
	})
}

func TestStoreRequests(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func() Store) {
		s, ctx := open(), context.Background()
		exp := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
		r := newStoredRequest(t, exp)
		if err := s.CreateRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetRequest(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != r.ID || string(got.Nonce) != string(r.Nonce) || string(got.Body) != string(r.Body) ||
			!got.ExpiresAt.Equal(exp) || !got.CreatedAt.Equal(r.CreatedAt) || !got.AnsweredAt.IsZero() {
			t.Fatalf("round trip: got %+v, want %+v", got, r)
		}
		// Same id, other nonce; other id, same nonce.
		dupID := *r
		dupID.Nonce = randBytes(t, 16)
		dupNonce := *r
		dupNonce.ID = "other"
		for _, d := range []*StoredRequest{&dupID, &dupNonce} {
			if err := s.CreateRequest(ctx, d); !errors.Is(err, ErrDuplicateRequest) {
				t.Errorf("duplicate: got %v, want ErrDuplicateRequest", err)
			}
		}
		if _, err := s.GetRequest(ctx, "nope"); !errors.Is(err, ErrUnknownRequest) {
			t.Errorf("GetRequest(unknown) = %v", err)
		}
		if err := s.Answer(ctx, &AnswerRecord{RequestID: "nope", At: time.Now()}); !errors.Is(err, ErrUnknownRequest) {
			t.Errorf("Answer(unknown) = %v", err)
		}
		// Malformed requests are refused before reaching storage.
		bad := newStoredRequest(t, exp)
		bad.ExpiresAt = time.Time{}
		if err := s.CreateRequest(ctx, bad); !errors.Is(err, protocol.ErrInvalidRequest) {
			t.Errorf("no expiry: %v", err)
		}

		now := time.Now()
		if err := s.Answer(ctx, &AnswerRecord{RequestID: r.ID, At: now}); err != nil {
			t.Fatal(err)
		}
		if err := s.Answer(ctx, &AnswerRecord{RequestID: r.ID, At: now}); !errors.Is(err, ErrReplay) {
			t.Errorf("second answer: %v, want ErrReplay", err)
		}
		got, err = s.GetRequest(ctx, r.ID)
		if err != nil || got.AnsweredAt.IsZero() {
			t.Errorf("answered request: %+v, %v", got, err)
		}

		// Expiry is checked inside the atomic answer too.
		old := newStoredRequest(t, now.Add(-time.Second))
		if err := s.CreateRequest(ctx, old); err != nil {
			t.Fatal(err)
		}
		if err := s.Answer(ctx, &AnswerRecord{RequestID: old.ID, At: now}); !errors.Is(err, ErrExpiredRequest) {
			t.Errorf("expired: %v", err)
		}
		n, err := s.DeleteExpired(ctx, now)
		if err != nil || n != 1 {
			t.Errorf("DeleteExpired = %d, %v; want 1", n, err)
		}
		if _, err := s.GetRequest(ctx, old.ID); !errors.Is(err, ErrUnknownRequest) {
			t.Errorf("pruned request still there: %v", err)
		}
		// Its nonce is free again only because the request is gone for good.
		if _, err := s.GetRequest(ctx, r.ID); err != nil {
			t.Errorf("live request pruned: %v", err)
		}
	})
}

func TestStoreNullifiers(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func() Store) {
		s, ctx := open(), context.Background()
		exp, now := time.Now().Add(time.Hour), time.Now()
		r1, r2, r3 := newStoredRequest(t, exp), newStoredRequest(t, exp), newStoredRequest(t, exp)
		for _, r := range []*StoredRequest{r1, r2, r3} {
			if err := s.CreateRequest(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		null := randBytes(t, 32)
		if err := s.Answer(ctx, &AnswerRecord{RequestID: r1.ID, At: now, Scope: "election-2027", Nullifier: null}); err != nil {
			t.Fatal(err)
		}
		if err := s.Answer(ctx, &AnswerRecord{RequestID: r2.ID, At: now, Scope: "election-2027", Nullifier: null}); !errors.Is(err, ErrDuplicateNullifier) {
			t.Fatalf("same nullifier: %v, want ErrDuplicateNullifier", err)
		}
		// All or nothing: the refused answer left r2 unanswered.
		if got, err := s.GetRequest(ctx, r2.ID); err != nil || !got.AnsweredAt.IsZero() {
			t.Fatalf("r2 after refused answer: %+v, %v", got, err)
		}
		// The same nullifier in another scope is another action.
		if err := s.Answer(ctx, &AnswerRecord{RequestID: r2.ID, At: now, Scope: "petition-42", Nullifier: null}); err != nil {
			t.Fatal(err)
		}
		if err := s.Answer(ctx, &AnswerRecord{RequestID: r3.ID, At: now, Scope: "election-2027", Nullifier: randBytes(t, 32)}); err != nil {
			t.Fatal(err)
		}
		if err := s.Answer(ctx, &AnswerRecord{RequestID: r3.ID, At: now, Scope: "x", Nullifier: make([]byte, maxNullifierLen+1)}); !errors.Is(err, protocol.ErrMalformedPresentation) {
			t.Errorf("oversize nullifier: %v", err)
		}
	})
}

func TestBoltDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	s, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := newStoredRequest(t, time.Now().Add(time.Hour))
	if err := s.CreateRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	null := randBytes(t, 32)
	if err := s.Answer(ctx, &AnswerRecord{RequestID: r.ID, At: time.Now(), Scope: "s", Nullifier: null}); err != nil {
		t.Fatal(err)
	}
	// A second open of the same file waits for the lock, then fails.
	if _, err := OpenBolt(path); !errors.Is(err, ErrStore) {
		t.Errorf("second open: %v", err)
	}
	s.Close()
	s, err = OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Answer(ctx, &AnswerRecord{RequestID: r.ID, At: time.Now()}); !errors.Is(err, ErrReplay) {
		t.Errorf("after reopen: %v, want ErrReplay", err)
	}
	r2 := newStoredRequest(t, time.Now().Add(time.Hour))
	if err := s.CreateRequest(ctx, r2); err != nil {
		t.Fatal(err)
	}
	if err := s.Answer(ctx, &AnswerRecord{RequestID: r2.ID, At: time.Now(), Scope: "s", Nullifier: null}); !errors.Is(err, ErrDuplicateNullifier) {
		t.Errorf("after reopen: %v, want ErrDuplicateNullifier", err)
	}
}

// raceAnswers has n goroutines, each with its own request, record the same
// nullifier in one scope through the given stores (round robin), and checks
// that exactly one succeeds and every other gets ErrDuplicateNullifier.
func raceAnswers(t *testing.T, n int, stores ...Store) {
	ctx := context.Background()
	reqs := make([]*StoredRequest, n)
	for i := range reqs {
		reqs[i] = newStoredRequest(t, time.Now().Add(time.Hour))
		if err := stores[i%len(stores)].CreateRequest(ctx, reqs[i]); err != nil {
			t.Fatal(err)
		}
	}
	null := randBytes(t, 32)
	var ok, dup atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			err := stores[i%len(stores)].Answer(ctx, &AnswerRecord{RequestID: reqs[i].ID, At: time.Now(), Scope: "election-2027-municipal", Nullifier: null})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrDuplicateNullifier):
				dup.Add(1)
			default:
				errs <- fmt.Errorf("goroutine %d: %w", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ok.Load() != 1 || dup.Load() != int64(n-1) {
		t.Fatalf("accepted %d, duplicates %d; want 1 and %d", ok.Load(), dup.Load(), n-1)
	}
	// And the same request answered concurrently: one answer, the rest replays.
	r := newStoredRequest(t, time.Now().Add(time.Hour))
	if err := stores[0].CreateRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	ok.Store(0)
	var replay atomic.Int64
	for i := range n {
		wg.Go(func() {
			err := stores[i%len(stores)].Answer(ctx, &AnswerRecord{RequestID: r.ID, At: time.Now()})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrReplay):
				replay.Add(1)
			default:
				t.Errorf("goroutine %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || replay.Load() != int64(n-1) {
		t.Fatalf("same request: accepted %d, replays %d; want 1 and %d", ok.Load(), replay.Load(), n-1)
	}
}

func TestBoltConcurrentNullifier(t *testing.T) {
	raceAnswers(t, 200, newBolt(t))
}

func TestPostgresConcurrentNullifier(t *testing.T) {
	open := pgSchemaForTest(t)
	// Two stores (two pools), as two verifier instances would have.
	raceAnswers(t, 200, open(), open())
}

func TestPostgresSchemaConcurrentOpen(t *testing.T) {
	open := pgSchemaForTest(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { open() })
	}
	wg.Wait()
}

func TestOpenPostgresBadDSN(t *testing.T) {
	_, err := OpenPostgres(context.Background(), "postgres://user:secret@[bad")
	if !errors.Is(err, ErrStore) {
		t.Fatalf("got %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "secret") {
		t.Errorf("error leaks the password: %v", err)
	}
}

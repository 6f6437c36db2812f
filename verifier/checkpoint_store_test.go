package verifier

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// testCheckpointStore checks the compare-and-swap contract of a
// CheckpointStore: first write only over nothing, each advance only over
// the note it names, concurrent advances from one note: exactly one wins.
func testCheckpointStore(t *testing.T, s CheckpointStore, other CheckpointStore) {
	ctx := context.Background()
	const iss = "did:web:agency.example"
	if got, err := s.LatestCheckpoint(ctx, iss); err != nil || got != nil {
		t.Fatalf("empty store: %q, %v", got, err)
	}
	if err := s.AdvanceCheckpoint(ctx, iss, []byte("x"), []byte("a")); !errors.Is(err, ErrCheckpointChanged) {
		t.Fatalf("advance over a note never stored: %v, want ErrCheckpointChanged", err)
	}
	if err := s.AdvanceCheckpoint(ctx, iss, nil, []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := s.AdvanceCheckpoint(ctx, iss, nil, []byte("b")); !errors.Is(err, ErrCheckpointChanged) {
		t.Fatalf("second first write: %v, want ErrCheckpointChanged", err)
	}
	// Another instance sharing the store sees it.
	if got, err := other.LatestCheckpoint(ctx, iss); err != nil || string(got) != "a" {
		t.Fatalf("other instance reads %q, %v", got, err)
	}
	if got, _ := s.LatestCheckpoint(ctx, "did:web:other.example"); got != nil {
		t.Fatalf("another issuer's checkpoint: %q", got)
	}
	if err := s.AdvanceCheckpoint(ctx, iss, []byte(""), []byte("b")); !errors.Is(err, ErrCheckpointChanged) {
		t.Fatalf("advance over an empty prev: %v", err)
	}
	for _, bad := range [][]byte{nil, make([]byte, maxStoredCheckpoint+1)} {
		if err := s.AdvanceCheckpoint(ctx, iss, []byte("a"), bad); !errors.Is(err, ErrStaleRoot) {
			t.Fatalf("advance to a %d-byte note: %v", len(bad), err)
		}
	}
	// Concurrent advances from "a": one wins, the others are told.
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := s
			if i%2 == 1 {
				st = other
			}
			errs[i] = st.AdvanceCheckpoint(ctx, iss, []byte("a"), fmt.Appendf(nil, "c%d", i))
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("advances %d and %d both won", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, ErrCheckpointChanged):
			t.Fatalf("advance %d: %v", i, err)
		}
	}
	if got, _ := s.LatestCheckpoint(ctx, iss); won < 0 || string(got) != fmt.Sprintf("c%d", won) {
		t.Fatalf("stored %q, winner %d", got, won)
	}
}

func TestCheckpointStoreBolt(t *testing.T) {
	s := newBolt(t)
	testCheckpointStore(t, s, s)
}

func TestCheckpointStorePostgres(t *testing.T) {
	open := pgSchemaForTest(t)
	testCheckpointStore(t, open(), open())
}

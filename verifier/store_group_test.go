package verifier

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestBoltGroupCommitOutcomes commits one batch of answers where some are
// refused: each gets its own outcome, the refused ones write nothing, and
// each check sees the answers before it in the batch.
func TestBoltGroupCommitOutcomes(t *testing.T) {
	s := newBolt(t)
	ctx := t.Context()
	exp := time.Now().Add(time.Hour)
	var reqs []*StoredRequest
	for range 6 {
		r := newStoredRequest(t, exp)
		if err := s.CreateRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	now := time.Now()
	null := randBytes(t, 32)
	iss := "did:web:agency.example"
	batch := []*AnswerRecord{
		{RequestID: reqs[0].ID, At: now, Issuer: iss, RootSequence: 5},                               // ok, floor 5
		{RequestID: reqs[0].ID, At: now},                                                             // replay of the one before
		{RequestID: "unknown", At: now},                                                              // unknown
		{RequestID: reqs[1].ID, At: now, Issuer: iss, RootSequence: 4},                               // below the floor just raised
		{RequestID: reqs[2].ID, At: now, Scope: "s", Nullifier: null},                                // ok
		{RequestID: reqs[3].ID, At: now, Scope: "s", Nullifier: null},                                // duplicate nullifier
		{RequestID: reqs[4].ID, At: exp},                                                             // expired
		{RequestID: reqs[5].ID, At: now, Issuer: iss, RootSequence: 7, Scope: "s2", Nullifier: null}, // ok, floor 7
	}
	want := []error{nil, ErrReplay, ErrUnknownRequest, ErrStaleRoot, nil, ErrDuplicateNullifier, ErrExpiredRequest, nil}
	got := commitForTest(s, batch)
	for i := range batch {
		if (want[i] == nil) != (got[i] == nil) || (want[i] != nil && !errors.Is(got[i], want[i])) {
			t.Errorf("answer %d: %v, want %v", i, got[i], want[i])
		}
	}
	if f, _ := s.RootFloor(ctx, iss); f != 7 {
		t.Errorf("floor %d, want 7", f)
	}
	for i, answered := range []bool{true, false, true, false, false, true} {
		r, err := s.GetRequest(ctx, reqs[i].ID)
		if err != nil || r.AnsweredAt.IsZero() == answered {
			t.Errorf("request %d: answered %v, want %v (%v)", i, !r.AnsweredAt.IsZero(), answered, err)
		}
	}
	// The refused duplicate (request 3) can still be answered without one.
	if err := s.Answer(ctx, &AnswerRecord{RequestID: reqs[3].ID, At: now}); err != nil {
		t.Fatal(err)
	}
}

// TestBoltGroupCommitFallback: when the batch's transaction fails (here a
// write bbolt refuses, from a record that bypassed checkAnswer), every
// answer is retried alone and the others are recorded.
func TestBoltGroupCommitFallback(t *testing.T) {
	s := newBolt(t)
	ctx := t.Context()
	var reqs []*StoredRequest
	for range 3 {
		r := newStoredRequest(t, time.Now().Add(time.Hour))
		if err := s.CreateRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	huge := "did:web:" + strings.Repeat("a", bolt.MaxKeySize)
	batch := []*AnswerRecord{
		{RequestID: reqs[0].ID, At: time.Now()},
		{RequestID: reqs[1].ID, At: time.Now(), Issuer: huge, RootSequence: 1},
		{RequestID: reqs[2].ID, At: time.Now()},
	}
	got := commitForTest(s, batch)
	if got[0] != nil || got[2] != nil || !errors.Is(got[1], ErrStore) {
		t.Fatalf("outcomes %v", got)
	}
	for i, answered := range []bool{true, false, true} {
		r, _ := s.GetRequest(ctx, reqs[i].ID)
		if r.AnsweredAt.IsZero() == answered {
			t.Errorf("request %d answered %v", i, !r.AnsweredAt.IsZero())
		}
	}
}

func commitForTest(s *BoltStore, batch []*AnswerRecord) []error {
	ps := make([]*boltPending, len(batch))
	for i, a := range batch {
		ps[i] = &boltPending{a: a, done: make(chan error, 1)}
	}
	s.commitBatch(ps)
	out := make([]error, len(ps))
	for i, p := range ps {
		out[i] = <-p.done
	}
	return out
}

// TestBoltCloseWhileAnswering: Close during concurrent answers returns after
// the committer stopped; every answer returns, acknowledged or ErrStore.
func TestBoltCloseWhileAnswering(t *testing.T) {
	s, err := OpenBolt(filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var reqs []*StoredRequest
	for range 64 {
		r := newStoredRequest(t, time.Now().Add(time.Hour))
		if err := s.CreateRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	var wg sync.WaitGroup
	for _, r := range reqs {
		wg.Go(func() {
			if err := s.Answer(ctx, &AnswerRecord{RequestID: r.ID, At: time.Now()}); err != nil && !errors.Is(err, ErrStore) {
				t.Errorf("%v", err)
			}
		})
	}
	time.Sleep(time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := s.Answer(ctx, &AnswerRecord{RequestID: reqs[0].ID, At: time.Now()}); !errors.Is(err, ErrStore) {
		t.Fatalf("after Close: %v", err)
	}
}

// TestBoltGroupCommitCrash: a child process answers from 32 goroutines and
// prints each request id the moment Answer acknowledged it; the parent
// kills it (SIGKILL) after 200 acknowledgements, reopens the file and
// finds every acknowledged answer recorded.
func TestBoltGroupCommitCrash(t *testing.T) {
	if os.Getenv("ZKCRED_BOLT_CRASH_CHILD") != "" {
		boltCrashChild(os.Getenv("ZKCRED_BOLT_CRASH_CHILD"))
		return
	}
	path := filepath.Join(t.TempDir(), "v.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestBoltGroupCommitCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), "ZKCRED_BOLT_CRASH_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 200 {
		if id, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked = append(acked, id)
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if len(acked) < 200 {
		t.Fatalf("child acknowledged only %d answers", len(acked))
	}
	s, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range acked {
		r, err := s.GetRequest(context.Background(), id)
		if err != nil || r.AnsweredAt.IsZero() {
			t.Fatalf("acknowledged answer %s lost: %v", id, err)
		}
	}
}

func boltCrashChild(path string) {
	s, err := OpenBolt(path)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := 0; ; i++ {
				r := &StoredRequest{ID: fmt.Sprintf("g%d-%d", g, i), Nonce: fmt.Appendf(nil, "n%d-%d", g, i), Body: []byte("{}"),
					ExpiresAt: time.Now().Add(time.Hour), CreatedAt: time.Now()}
				if err := s.CreateRequest(ctx, r); err != nil {
					panic(err)
				}
				if err := s.Answer(ctx, &AnswerRecord{RequestID: r.ID, At: time.Now(), Scope: "s", Nullifier: []byte(r.ID)}); err != nil {
					panic(err)
				}
				mu.Lock()
				fmt.Printf("acked %s\n", r.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

package verifier

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
)

// panicTiles is a tlog.Getter that panics on every tile.
type panicTiles struct{ g tlog.Getter }

func (p panicTiles) Get(ctx context.Context, u, accept string) (*fetch.Response, error) {
	if strings.Contains(u, "/tile/") {
		panic("hostile Getter")
	}
	return p.g.Get(ctx, u, accept)
}

// TestCheckpointAttackPanickingTileGetter: the Getter of LogPolicy.Tiles
// panics inside the shared consistency-proof fetch. The 16 concurrent
// checks waiting on it get an error at once (not at their deadline), the
// process survives, and the next check with an honest Getter succeeds.
func TestCheckpointAttackPanickingTileGetter(t *testing.T) {
	e := newLogEnv(t, 1)
	e.clock.Add(time.Minute)
	old := e.revoke(t, 1)
	var newer *tlog.Checkpoint
	for i := range 20 {
		e.clock.Add(time.Second)
		newer = e.revoke(t, uint64(100+i))
	}
	store := newBolt(t)
	if _, err := e.accept(e.verifier(t, store, 1), newer.Note); err != nil {
		t.Fatal(err)
	}
	v := e.verifier(t, store, 1)
	v.cfg.Log.Tiles = panicTiles{g: e.fetch}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() { _, errs[i] = e.accept(v, old.Note) })
	}
	wg.Wait()
	t.Logf("16 checks: %v; err %v", time.Since(start), errs[0])
	if d := time.Since(start); d > consistencyFetchTimeout/3 {
		t.Fatalf("the checks returned after %v: they waited for a deadline", d)
	}
	for i, err := range errs {
		if err == nil {
			t.Fatalf("check %d accepted a checkpoint whose consistency was never proven", i)
		}
	}
	v.cfg.Log.Tiles = e.fetch
	if _, err := e.accept(v, old.Note); err != nil {
		t.Fatalf("an honest check after the panics: %v", err)
	}
}

// TestCheckpointAttackForkTilesEvicted: the verifier's tile cache holds,
// under the paths of the issuer's log, tiles of a fork (verified once
// against a fork's checkpoint that witnesses cosigned). A consistency
// check against the honest log reads them and fails verification: the
// log's cached tiles are evicted and the check proves again from fresh
// downloads, so the honest checkpoint is accepted and no fork tile stays.
func TestCheckpointAttackForkTilesEvicted(t *testing.T) {
	e := newLogEnv(t, 1)
	e.clock.Add(time.Minute)
	old := e.revoke(t, 1)
	var newer *tlog.Checkpoint
	for i := range 20 {
		e.clock.Add(time.Second)
		newer = e.revoke(t, uint64(100+i))
	}
	store := newBolt(t)
	if _, err := e.accept(e.verifier(t, store, 1), newer.Note); err != nil {
		t.Fatal(err)
	}
	v := e.verifier(t, store, 1)
	logURL := e.srv.URL + "/log"
	cache := v.logc.tileCache(logURL)
	honest := map[string][]byte{}
	err := filepath.WalkDir(filepath.Join(e.dir, "tile"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(e.dir, p)
		rel = filepath.ToSlash(rel)
		honest[rel] = b
		fork := make([]byte, len(b))
		for i := range fork {
			fork[i] = byte(i) ^ 0x5a
		}
		cache.Put(rel, fork)
		return nil
	})
	if err != nil || len(honest) == 0 {
		t.Fatalf("no tiles to poison: %v", err)
	}
	if _, err := e.accept(v, old.Note); err != nil {
		t.Fatalf("honest checkpoint refused after a fork's tiles were cached: %v", err)
	}
	for p, b := range honest {
		if got, ok := cache.Get(p); ok && string(got) != string(b) {
			t.Errorf("%s: a fork's tile is still cached", p)
		}
	}
}

// panicResolver panics on every resolution.
type panicResolver struct{}

func (panicResolver) Resolve(context.Context, string) (*did.Resolution, error) {
	panic("hostile resolver")
}

// TestCheckpointAttackPanicInSharedFetch: the leader of a shared
// (coalesced) fetch panics, in the consistency check and in the keys-log
// read. Every caller gets an error wrapping ErrStore at once, the flight
// is dropped (the next call fetches again) and the process survives.
func TestCheckpointAttackPanicInSharedFetch(t *testing.T) {
	e := newLogEnv(t, 1)
	e.clock.Add(time.Minute)
	old := e.revoke(t, 1)
	e.clock.Add(time.Second)
	newer := e.revoke(t, 2)
	v := e.verifier(t, newBolt(t), 1)
	ctx, cancel := context.WithTimeout(t.Context(), consistencyFetchTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		// A nil accepted checkpoint makes the proof panic.
		wg.Go(func() { _, errs[i] = v.consistent(ctx, nil, old, newer) })
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, ErrStore) {
			t.Fatalf("consistency check %d: %v, want ErrStore", i, err)
		}
	}
	v.cfg.Resolver = panicResolver{}
	for i := range errs {
		wg.Go(func() { _, errs[i] = v.keysLogState(ctx, e.issuer.did) })
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, ErrStore) {
			t.Fatalf("keys-log read %d: %v, want ErrStore", i, err)
		}
	}
	if ctx.Err() != nil {
		t.Fatal("the callers waited for their deadline")
	}
	v.logc.mu.Lock()
	defer v.logc.mu.Unlock()
	if len(v.logc.flights) != 0 || len(v.logc.keyFlights) != 0 {
		t.Fatalf("flights left behind: %d, %d", len(v.logc.flights), len(v.logc.keyFlights))
	}
}

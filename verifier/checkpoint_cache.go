package verifier

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did/fetch"
)

// The verifier's caches for the checkpoint path (see [LogPolicy]), one set
// per Verifier, shared by its requests:
//
//   - tiles: the verified tiles of the issuers' logs, by log URL and tile
//     path, least recently used evicted past maxCachedTileBytes.
//     x/mod/sumdb/tlog checks every tile it reads against the checkpoint
//     it proves from, cached or not, so a cached tile is never trusted
//     blindly.
//   - verdicts: for a pair of checkpoint bodies (both signed by the
//     issuer and witnessed), whether the newer extends the older, once a
//     consistency proof was checked; at most maxVerdicts, oldest evicted.
//     A holder carrying an older checkpoint than the stored one then costs
//     no fetch after the first.
//   - flights: concurrent consistency checks of the same pair share one
//     fetch.
type logCaches struct {
	mu       sync.Mutex
	tiles    *tileLRU
	verdicts map[[32]byte]error
	order    [][32]byte // verdict keys, oldest first
	flights  map[[32]byte]*flight
	// keys: per issuer, its keys log's latest entry (checkpoint_keys.go).
	keys       map[string]*keysState
	keyFlights map[string]*keysFlight
}

// maxCachedTileBytes bounds the verifier's tile cache: 1024 full hash
// tiles (8 KiB each), enough for the consistency proofs of many issuers'
// logs of 10^7 entries (a proof reads about 2 tiles per level, 3 levels).
const maxCachedTileBytes = 8 << 20

// maxVerdicts bounds the cached consistency verdicts (about 100 bytes
// each).
const maxVerdicts = 4096

// consistencyFetchTimeout bounds one coalesced consistency-proof fetch:
// it outlives the request that started it (others may wait on it).
const consistencyFetchTimeout = 30 * time.Second

type flight struct {
	done chan struct{}
	// inconsistent is the verdict (nil: consistent); err a failure to
	// check (fetch, tiles): not a verdict, not cached.
	inconsistent, err error
}

func (c *logCaches) init() {
	if c.tiles == nil {
		c.tiles = newTileLRU(maxCachedTileBytes)
		c.verdicts = make(map[[32]byte]error)
		c.flights = make(map[[32]byte]*flight)
		c.keys = make(map[string]*keysState)
		c.keyFlights = make(map[string]*keysFlight)
	}
}

// tileCache returns the view of the tile cache for the log at logURL.
func (c *logCaches) tileCache(logURL string) tlog.TileCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	return &logTiles{lru: c.tiles, prefix: logURL + "\x00"}
}

// verdictKey names the pair (old, next) by their signed bodies, which hold
// everything [tlog.VerifyConsistency] reads.
func verdictKey(old, next *tlog.Checkpoint) [32]byte {
	h := sha256.New()
	ob, nb := old.Body(), next.Body()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(ob)))
	h.Write(n[:])
	h.Write(ob)
	h.Write(nb)
	return [32]byte(h.Sum(nil))
}

// consistent checks that next extends old (both verified, old.Size <
// next.Size). It returns the verdict (inconsistent: nil if next extends
// old, else an error wrapping the tlog sentinels) or err when the check
// could not be made. Verdicts are cached; concurrent checks of one pair
// share one fetch, which runs under its own timeout.
func (v *Verifier) consistent(ctx context.Context, ac *acceptedCheckpoint, old, next *tlog.Checkpoint) (inconsistent, err error) {
	if old.Size == 0 {
		// Every log extends the empty one: no proof, no fetch.
		return tlog.VerifyConsistency(old, next, nil), nil
	}
	key := verdictKey(old, next)
	c := &v.logc
	c.mu.Lock()
	c.init()
	if verdict, ok := c.verdicts[key]; ok {
		c.mu.Unlock()
		return verdict, nil
	}
	f, running := c.flights[key]
	if !running {
		f = &flight{done: make(chan struct{})}
		c.flights[key] = f
	}
	c.mu.Unlock()
	if !running {
		// The leader always releases the waiters and the flight, even if
		// the proof panics (a caller's Getter): the panic becomes an
		// error for every waiter, not a wait until their deadlines.
		func() {
			defer close(f.done)
			defer func() {
				if r := recover(); r != nil {
					f.inconsistent, f.err = nil, fmt.Errorf("%w: checking the consistency of the issuer's log panicked: %v", ErrStore, r)
				}
				c.mu.Lock()
				delete(c.flights, key)
				if f.err == nil {
					if len(c.order) >= maxVerdicts {
						delete(c.verdicts, c.order[0])
						c.order = c.order[1:]
					}
					c.verdicts[key] = f.inconsistent
					c.order = append(c.order, key)
				}
				c.mu.Unlock()
			}()
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), consistencyFetchTimeout)
			defer cancel()
			f.inconsistent, f.err = v.proveConsistency(fctx, ac, old, next)
		}()
	}
	select {
	case <-f.done:
		return f.inconsistent, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for a consistency proof: %w", fetch.ErrFetch, ctx.Err())
	}
}

// proveConsistency fetches, from the issuer's log tiles (through the
// verifier's tile cache), the proof that next extends old, and checks it.
func (v *Verifier) proveConsistency(ctx context.Context, ac *acceptedCheckpoint, old, next *tlog.Checkpoint) (inconsistent, err error) {
	if ac.logURL == "" {
		return nil, fmt.Errorf("%w: the issuer's DID document names no revocation log (service %s) to prove consistency from", ErrStaleRoot, tlog.RevocationLogService)
	}
	cl, err := tlog.NewClient(ac.logURL, v.cfg.Log.Tiles, ac.policy, v.logc.tileCache(ac.logURL))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStaleRoot, err)
	}
	proof, err := cl.ConsistencyProof(ctx, old, next)
	if errors.Is(err, tlog.ErrMalformedTile) && v.logc.dropLogTiles(ac.logURL) {
		// A cached tile failed verification against next: one kept
		// from a fork of the log (cosigned, once accepted) under the
		// same path. Drop the log's tiles and prove again from fresh
		// downloads, once.
		proof, err = cl.ConsistencyProof(ctx, old, next)
		if errors.Is(err, tlog.ErrMalformedTile) {
			v.logc.dropLogTiles(ac.logURL)
		}
	}
	if err != nil {
		if transient(err) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: consistency proof from the issuer's log: %w", ErrStaleRoot, err)
	}
	return tlog.VerifyConsistency(old, next, proof), nil
}

// tileLRU is a byte-bounded least-recently-used map of tiles.
type tileLRU struct {
	mu    sync.Mutex
	max   int
	bytes int
	ll    *list.List // of *tileEntry, most recent first
	m     map[string]*list.Element
}

type tileEntry struct {
	key  string
	data []byte
}

func newTileLRU(max int) *tileLRU {
	return &tileLRU{max: max, ll: list.New(), m: make(map[string]*list.Element)}
}

func (c *tileLRU) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(e)
	return e.Value.(*tileEntry).data, true
}

func (c *tileLRU) put(key string, data []byte) {
	size := len(key) + len(data)
	if size > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		c.ll.MoveToFront(e)
		return
	}
	c.m[key] = c.ll.PushFront(&tileEntry{key: key, data: append([]byte(nil), data...)})
	c.bytes += size
	for c.bytes > c.max {
		e := c.ll.Back()
		te := e.Value.(*tileEntry)
		c.ll.Remove(e)
		delete(c.m, te.key)
		c.bytes -= len(te.key) + len(te.data)
	}
}

// dropPrefix removes the tiles whose keys start with prefix and reports
// whether there were any.
func (c *tileLRU) dropPrefix(prefix string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	dropped := false
	for k, e := range c.m {
		if strings.HasPrefix(k, prefix) {
			te := e.Value.(*tileEntry)
			c.ll.Remove(e)
			delete(c.m, k)
			c.bytes -= len(te.key) + len(te.data)
			dropped = true
		}
	}
	return dropped
}

// dropLogTiles removes the cached tiles of the log at logURL (one failed
// verification: they may be a fork's) and reports whether there were any.
func (c *logCaches) dropLogTiles(logURL string) bool {
	c.mu.Lock()
	lru := c.tiles
	c.mu.Unlock()
	if lru == nil {
		return false
	}
	return lru.dropPrefix(logURL + "\x00")
}

// logTiles is one log's view of a tileLRU (a [tlog.TileCache]).
type logTiles struct {
	lru    *tileLRU
	prefix string
}

func (t *logTiles) Get(path string) ([]byte, bool) { return t.lru.get(t.prefix + path) }
func (t *logTiles) Put(path string, data []byte)   { t.lru.put(t.prefix+path, data) }

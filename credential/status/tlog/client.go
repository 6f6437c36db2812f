package tlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	sumtlog "golang.org/x/mod/sumdb/tlog"

	"github.com/zkcred/zkcred/credential/status/tlog/internal/wire"
	"github.com/zkcred/zkcred/did/fetch"
)

// Getter sends an HTTP GET; [*fetch.Client] implements it. Its MaxBytes
// must admit a full entry bundle: 2 KiB for a revocation log, 4.2 MiB for
// a keys log (256 documents of [MaxDocumentEntrySize]). A [Client] calls
// it from up to 256 goroutines at once; a Getter that blocks an OS
// thread per call (reading files) should bound its own concurrency.
//
// A Getter that also has the method
//
//	GetLimited(ctx context.Context, rawURL, accept string, maxBytes int64) (*fetch.Response, error)
//
// (as [*fetch.Client] has: [fetch.Client.GetLimited]) is asked for each
// file with the largest honest size of that file as maxBytes (8 KiB for
// a hash tile, 2,560 bytes for a revocation log's entry bundle,
// [MaxCheckpointSize] for a checkpoint), and must read no more of the
// body than that. A Getter without it is called with Get, and a file
// larger than its honest size is refused only after Get has read it: a
// hostile log host can then make a call hold up to 256 bodies of the
// Getter's own limit at once. A Getter that panics fails the file it
// was fetching (the error wraps [fetch.ErrFetch]), not the process.
type Getter interface {
	Get(ctx context.Context, rawURL, accept string) (*fetch.Response, error)
}

// limitedGetter is a Getter that bounds one body ([fetch.Client.GetLimited]).
type limitedGetter interface {
	GetLimited(ctx context.Context, rawURL, accept string, maxBytes int64) (*fetch.Response, error)
}

// getFile fetches rawURL through g, reading at most limit bytes of its
// body when g can bound a read, and turns a panic of g into an error
// wrapping fetch.ErrFetch (the calls run on fetchEach's goroutines,
// where a panic would end the process). A body over the limit is an
// error wrapping fetch.ErrTooLarge.
func getFile(ctx context.Context, g Getter, rawURL string, limit int) (resp *fetch.Response, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = nil, fmt.Errorf("%w: the Getter panicked fetching %s: %v", fetch.ErrFetch, rawURL, r)
		}
	}()
	if lg, ok := g.(limitedGetter); ok {
		return lg.GetLimited(ctx, rawURL, "", int64(limit))
	}
	return g.Get(ctx, rawURL, "")
}

// TileCache keeps tiles a [Client] downloaded, by their tlog-tiles path
// ("tile/0/001", "tile/entries/x001/234.p/17"). A Client stores only tiles
// it has verified. Implementations must be safe for concurrent use.
type TileCache interface {
	Get(path string) ([]byte, bool)
	Put(path string, data []byte)
}

// Client reads a log published in the tlog-tiles layout under a base URL,
// for a wallet or a verifier: it verifies checkpoints with a [Policy],
// downloads only tiles it lacks and verifies each tile and entry bundle
// against the checkpoint before using or caching it. A call keeps up to
// 256 requests in flight (HTTP/2 streams over one connection; a server
// speaking only HTTP/1.1 sees as many connections) and checks entry
// bundles on every core as they arrive. It is safe for concurrent use.
type Client struct {
	base       string
	get        Getter
	policy     *Policy
	cache      TileCache
	downloaded atomic.Int64
	// keepEntries: entry bundles go into the cache too (a HolderSync,
	// which keeps the ids, does not cache them).
	keepEntries bool
	mu          sync.Mutex
	flights     map[string]*flight // hash tiles downloaded since the last Latest
}

// flight is a hash tile download that concurrent readers share.
type flight struct {
	done chan struct{}
	data []byte
	err  error
}

// NewClient returns a client for the log under baseURL (the http(s) URL
// of the directory holding "checkpoint" and "tile/"), fetching through g
// and verifying with p. A nil cache keeps verified tiles in memory for
// the client's life (at 10^7 revocations, 80 MB of entry bundles and
// 1.3 MB of hash tiles above level 0). Errors wrap [fetch.ErrInvalidURL].
func NewClient(baseURL string, g Getter, p *Policy, cache TileCache) (*Client, error) {
	if err := fetch.CheckURL(baseURL, true); err != nil {
		return nil, err
	}
	if strings.ContainsAny(baseURL, "?#") {
		return nil, fmt.Errorf("%w: a log's base URL has no query or fragment", fetch.ErrInvalidURL)
	}
	if g == nil || p == nil {
		return nil, fmt.Errorf("%w: NewClient needs a Getter and a Policy", ErrWriter)
	}
	if cache == nil {
		cache = newMemCache()
	}
	return &Client{base: strings.TrimSuffix(baseURL, "/") + "/", get: g, policy: p, cache: cache, keepEntries: true}, nil
}

// fetchFile gets base+path, at most limit bytes, counting the bytes.
func (c *Client) fetchFile(ctx context.Context, path string, limit int) ([]byte, error) {
	resp, err := getFile(ctx, c.get, c.base+path, limit)
	if errors.Is(err, fetch.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %s: more than %d bytes: %w", ErrMalformedTile, path, limit, err)
	}
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%w: %s: %s", ErrNotFound, path, resp.Status)
	}
	c.downloaded.Add(int64(len(resp.Body)))
	if len(resp.Body) > limit {
		return nil, fmt.Errorf("%w: %s: %d bytes, at most %d expected", ErrMalformedTile, path, len(resp.Body), limit)
	}
	return resp.Body, nil
}

// fetchShared is fetchFile for a hash tile, one download for the readers
// of the same path between two [Client.Latest] calls (a consistency
// proof and an entries read of one sync both need the tiles at the right
// edge, concurrently, before either has verified and cached them). The
// bytes are shared, not trusted: every reader's TileHashReader verifies
// them against its checkpoint.
func (c *Client) fetchShared(ctx context.Context, path string, limit int) ([]byte, error) {
	c.mu.Lock()
	if f, ok := c.flights[path]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.data, f.err
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", fetch.ErrFetch, ctx.Err())
		}
	}
	if c.flights == nil {
		c.flights = make(map[string]*flight)
	}
	f := &flight{done: make(chan struct{})}
	c.flights[path] = f
	c.mu.Unlock()
	defer close(f.done) // whatever happens, the waiters are released
	f.err = fmt.Errorf("%w: %s: the download stopped", fetch.ErrFetch, path)
	f.data, f.err = c.fetchFile(ctx, path, limit)
	if f.err != nil {
		c.mu.Lock()
		delete(c.flights, path) // a later read tries again
		c.mu.Unlock()
	}
	return f.data, f.err
}

// Latest fetches the log's checkpoint and verifies it with the policy
// ([Policy.Verify]). Errors wrap [ErrNotFound], a fetch sentinel, or the
// errors of [Policy.Verify].
func (c *Client) Latest(ctx context.Context) (*Checkpoint, error) {
	c.mu.Lock()
	clear(c.flights) // a new sync: keep no downloads of the previous one
	c.mu.Unlock()
	b, err := c.fetchFile(ctx, "checkpoint", MaxCheckpointSize)
	if errors.Is(err, fetch.ErrTooLarge) {
		return nil, fmt.Errorf("%w: larger than %d bytes (%w)", ErrMalformedCheckpoint, MaxCheckpointSize, fetch.ErrTooLarge)
	}
	if errors.Is(err, ErrMalformedTile) {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformedCheckpoint, MaxCheckpointSize)
	}
	if err != nil {
		return nil, err
	}
	return c.policy.Verify(b)
}

// Update fetches the latest checkpoint, verifies it with the policy and,
// when stored (the last checkpoint the caller accepted) is not nil,
// proves from the tiles that it extends stored ([Policy.CheckUpdate]).
// It returns the new checkpoint, which the caller stores in place of
// stored. Errors wrap those of [Client.Latest], [ErrSplitView],
// [ErrInconsistent] or [ErrMalformedTile].
func (c *Client) Update(ctx context.Context, stored *Checkpoint) (*Checkpoint, error) {
	next, err := c.Latest(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.checkExtends(ctx, stored, next); err != nil {
		return nil, err
	}
	return next, nil
}

// checkExtends proves from the tiles that next extends stored (nil:
// nothing to check), as [Client.Update].
func (c *Client) checkExtends(ctx context.Context, stored, next *Checkpoint) error {
	if stored == nil {
		return nil
	}
	var proof [][32]byte
	if stored.Size > 0 && stored.Size < next.Size {
		var err error
		if proof, err = c.ConsistencyProof(ctx, stored, next); err != nil {
			return err
		}
	}
	return c.policy.CheckUpdate(stored, next, proof)
}

// ConsistencyProof computes, from tiles verified against next, the proof
// that next extends old (for [VerifyConsistency]); nil when old is empty
// or not smaller. Errors wrap [ErrMalformedTile], [ErrNotFound] or a
// fetch sentinel.
func (c *Client) ConsistencyProof(ctx context.Context, old, next *Checkpoint) ([][32]byte, error) {
	if old.Size <= 0 || old.Size >= next.Size {
		return nil, nil
	}
	p, err := sumtlog.ProveTree(next.Size, old.Size, c.hashReader(ctx, next))
	if err != nil {
		return nil, c.tileErr(err)
	}
	out := make([][32]byte, len(p))
	for i := range p {
		out[i] = [32]byte(p[i])
	}
	return out, nil
}

// tileErr keeps this package's and fetch's sentinels and wraps what
// x/mod's tile verification reports in ErrMalformedTile. A verification
// failure may come from tiles cached under another checkpoint of the same
// paths (a fork the caller since refused): the default in-memory cache is
// emptied, so that the next call downloads them again.
func (c *Client) tileErr(err error) error {
	for _, s := range []error{ErrMalformedTile, ErrNotFound, fetch.ErrFetch, fetch.ErrTooLarge, fetch.ErrForbiddenAddress, fetch.ErrRedirect, fetch.ErrInvalidURL} {
		if errors.Is(err, s) {
			return err
		}
	}
	c.dropCachedTiles()
	return fmt.Errorf("%w: %v", ErrMalformedTile, err)
}

// dropCachedTiles empties the default in-memory tile cache (a caller's
// TileCache is left as it is).
func (c *Client) dropCachedTiles() {
	if m, ok := c.cache.(*memCache); ok {
		m.mu.Lock()
		clear(m.m)
		clear(m.partial)
		m.mu.Unlock()
	}
}

func (c *Client) hashReader(ctx context.Context, cp *Checkpoint) sumtlog.HashReader {
	return sumtlog.TileHashReader(sumtlog.Tree{N: cp.Size, Hash: sumtlog.Hash(cp.Hash)}, &tileReader{c: c, ctx: ctx})
}

// MaxEntriesPerCall bounds the entries one [Client.Entries] or
// [Client.RevokedIDs] call returns: 2^27, eight times a depth-24 tree.
const MaxEntriesPerCall = 1 << 27

// Entries returns the entries [from, cp.Size) of the log at checkpoint cp
// (verified by the caller, for instance by [Client.Update]), each checked
// against cp's tree: a full entry bundle by its subtree hash (a stored
// hash of level 8), the last partial one leaf by leaf. At most
// [MaxEntriesPerCall] entries are asked for at once. Errors wrap
// [ErrMalformedTile], [ErrMalformedEntry], [ErrNotFound] or a fetch
// sentinel.
func (c *Client) Entries(ctx context.Context, cp *Checkpoint, from int64) ([][]byte, error) {
	if err := checkEntriesRange(cp, from); err != nil || from == cp.Size {
		return nil, err
	}
	out := make([][]byte, cp.Size-from)
	err := c.readEntries(ctx, cp, from, func(i int64, e []byte) error {
		out[i-from] = e
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func checkEntriesRange(cp *Checkpoint, from int64) error {
	if from < 0 || from > cp.Size {
		return fmt.Errorf("%w: entries from %d of a log of %d", ErrMalformedEntry, from, cp.Size)
	}
	if cp.Size-from > MaxEntriesPerCall {
		return fmt.Errorf("%w: %d entries asked for, at most %d a call: ask again from a larger size", ErrMalformedEntry, cp.Size-from, MaxEntriesPerCall)
	}
	return nil
}

// fetchParallel is the number of requests a Client has in flight at once
// (entry bundles, hash tiles; a HolderSync's subtree chunks): a first
// sync costs about (bundles / fetchParallel) round trips to the CDN, so
// at a 20 ms round trip 10^7 revocations (39,063 bundles) wait about 3 s
// at 256, 6 s at 128 and 24 s at 32. HTTP/2 servers allow 100 to 256
// concurrent streams a connection (nginx 128, Go 250); Go's HTTP/2
// client opens another connection beyond a server's limit.
const fetchParallel = 256

// fetchEach runs f(0..n-1) on at most fetchParallel goroutines.
func fetchEach(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, fetchParallel) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				f(int(i))
			}
		})
	}
	wg.Wait()
}

// bundleJob is one entry bundle of a readEntries call.
type bundleJob struct {
	t      sumtlog.Tile
	data   []byte // cached and verified, or nil
	want   int    // index of its first hash in the hashes read
	skip   int    // entries before from
	cached bool
}

// readEntries verifies the entries [from, cp.Size) against cp and calls
// emit(index, entry) for each, from several goroutines (never twice for an
// index), each only after its bundle has been verified. It first reads the
// level-8 hashes of the full bundles (hash tiles above level 0, verified
// against cp's root) and the leaf hashes of the last partial bundle, then
// downloads the bundles it lacks, fetchParallel at a time, and checks
// each as it arrives, on every core. The first error stops the rest and
// is returned. Entry bundles are cached only when the cache keeps them
// ([Client] with a keeping cache).
func (c *Client) readEntries(ctx context.Context, cp *Checkpoint, from int64, emit func(int64, []byte) error) error {
	maxEntry := maxEntrySize(cp.Kind)
	var jobs []bundleJob
	var indexes []int64
	for b := from / wire.TileWidth; b*wire.TileWidth < cp.Size; b++ {
		start := b * wire.TileWidth
		t := sumtlog.Tile{H: wire.TileHeight, L: -1, N: b, W: int(min(wire.TileWidth, cp.Size-start))}
		j := bundleJob{t: t, want: len(indexes), skip: int(max(from-start, 0))}
		if c.keepEntries {
			j.data, j.cached = c.cache.Get(wire.TilePath(t))
		}
		jobs = append(jobs, j)
		if t.W == wire.TileWidth {
			indexes = append(indexes, sumtlog.StoredHashIndex(wire.TileHeight, b))
		} else {
			for i := range t.W {
				indexes = append(indexes, sumtlog.StoredHashIndex(0, start+int64(i)))
			}
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		next     atomic.Int64
		wg       sync.WaitGroup
		want     []sumtlog.Hash
		wantDone = make(chan struct{}) // closed when want is read, or on failure
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
		mu.Unlock()
	}
	// The hashes (hash tiles verified against cp's root) are read while
	// the bundles download: one round trip, not two.
	wg.Go(func() {
		defer close(wantDone)
		hs, err := c.hashReader(ctx, cp).ReadHashes(indexes)
		if err != nil {
			fail(c.tileErr(err))
			return
		}
		want = hs
	})
	// At most GOMAXPROCS goroutines hash at once: the others wait on the
	// network, not on the scheduler.
	hashing := make(chan struct{}, runtime.GOMAXPROCS(0))
	for range min(fetchParallel, len(jobs)) {
		wg.Go(func() {
			var v bundleVerifier
			for {
				i := next.Add(1) - 1
				if i >= int64(len(jobs)) || ctx.Err() != nil {
					return
				}
				j := &jobs[i]
				data := j.data
				if !j.cached {
					var err error
					if data, err = c.fetchFile(ctx, wire.TilePath(j.t), j.t.W*(2+maxEntry)); err != nil {
						fail(err)
						return
					}
				}
				<-wantDone
				if want == nil {
					return // failed: firstErr says why
				}
				hashing <- struct{}{}
				err := v.verify(j.t, data, maxEntry, want[j.want:])
				base := j.t.N * wire.TileWidth
				for k := j.skip; k < j.t.W && err == nil; k++ {
					err = emit(base+int64(k), v.entry(data, k))
				}
				<-hashing
				if err != nil {
					if j.cached {
						c.dropCachedTiles() // kept under a checkpoint since refused
					}
					fail(err)
					return
				}
				if !j.cached && c.keepEntries {
					c.cache.Put(wire.TilePath(j.t), data)
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", fetch.ErrFetch, err)
	}
	return nil
}

// bundleVerifier checks entry bundles without allocating: the entries'
// offsets and leaf hashes live in the verifier, one per goroutine.
type bundleVerifier struct {
	off [wire.TileWidth + 1]int // entry k is data[off[k]+2 : off[k+1]]
	hs  [wire.TileWidth]sumtlog.Hash
	buf []byte // 0x00 || entry, for the leaf hash
}

// verify splits data into exactly t.W entries of at most maxEntry bytes
// (each a 2-byte big-endian length and its bytes, nothing after the
// last; as wire.ReadBundle) and checks them against want: a full bundle's
// RFC 6962 subtree root against want[0], a partial bundle's leaf hashes
// against want[:t.W]. Errors wrap ErrMalformedTile.
func (v *bundleVerifier) verify(t sumtlog.Tile, data []byte, maxEntry int, want []sumtlog.Hash) error {
	n, p := 0, 0
	for p < len(data) {
		if n == t.W || len(data)-p < 2 {
			return fmt.Errorf("%w: entry bundle %s", ErrMalformedTile, wire.TilePath(t))
		}
		l := int(binary.BigEndian.Uint16(data[p:]))
		if l > maxEntry || len(data)-p-2 < l {
			return fmt.Errorf("%w: entry bundle %s", ErrMalformedTile, wire.TilePath(t))
		}
		v.off[n] = p
		e := data[p+2 : p+2+l]
		v.buf = append(append(v.buf[:0], 0), e...)
		v.hs[n] = sha256.Sum256(v.buf)
		n++
		p += 2 + l
	}
	if n != t.W {
		return fmt.Errorf("%w: entry bundle %s", ErrMalformedTile, wire.TilePath(t))
	}
	v.off[n] = p
	if t.W == wire.TileWidth {
		// The RFC 6962 root of the 256 leaf hashes, in place.
		var node [1 + 2*sumtlog.HashSize]byte
		node[0] = 0x01
		for w := wire.TileWidth; w > 1; w /= 2 {
			for i := range w / 2 {
				copy(node[1:], v.hs[2*i][:])
				copy(node[1+sumtlog.HashSize:], v.hs[2*i+1][:])
				v.hs[i] = sha256.Sum256(node[:])
			}
		}
		if v.hs[0] != want[0] {
			return fmt.Errorf("%w: entry bundle %s does not hash to the checkpoint", ErrMalformedTile, wire.TilePath(t))
		}
		return nil
	}
	for i := range t.W {
		if v.hs[i] != want[i] {
			return fmt.Errorf("%w: entry %d of bundle %s does not hash to the checkpoint", ErrMalformedTile, i, wire.TilePath(t))
		}
	}
	return nil
}

// entry returns entry k of the bundle data that verify last accepted.
func (v *bundleVerifier) entry(data []byte, k int) []byte {
	return data[v.off[k]+2 : v.off[k+1] : v.off[k+1]]
}

// RevokedIDs returns the revoked ids [from, cp.Size) of a revocation log:
// leaves from+1 to cp.Size of the indexed tree. Errors as
// [Client.Entries], or wrapping [ErrMalformedEntry].
func (c *Client) RevokedIDs(ctx context.Context, cp *Checkpoint, from int64) ([]uint64, error) {
	if cp.Kind != KindRevocation {
		return nil, fmt.Errorf("%w: RevokedIDs on a %v log", ErrMalformedEntry, cp.Kind)
	}
	if err := checkEntriesRange(cp, from); err != nil || from == cp.Size {
		return nil, err
	}
	ids := make([]uint64, cp.Size-from)
	if err := c.revokedIDsInto(ctx, cp, from, ids); err != nil {
		return nil, err
	}
	return ids, nil
}

// revokedIDsInto verifies the revoked ids [from, cp.Size) and decodes
// them into ids (of that length), as [Client.RevokedIDs].
func (c *Client) revokedIDsInto(ctx context.Context, cp *Checkpoint, from int64, ids []uint64) error {
	if err := checkEntriesRange(cp, from); err != nil || from == cp.Size {
		return err
	}
	if int64(len(ids)) != cp.Size-from {
		return fmt.Errorf("%w: %d ids for %d entries", ErrMalformedEntry, len(ids), cp.Size-from)
	}
	return c.readEntries(ctx, cp, from, func(i int64, e []byte) error {
		id, err := ParseRevocationEntry(e)
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		ids[i-from] = id
		return nil
	})
}

// BytesDownloaded returns the bytes of checkpoints, tiles and entry
// bundles this client has downloaded (response bodies).
func (c *Client) BytesDownloaded() int64 { return c.downloaded.Load() }

// tileReader is x/mod's TileReader over a Client: cache first (a partial
// tile is cut from a cached full one), else download; SaveTiles caches
// what x/mod has verified against the tree.
type tileReader struct {
	c   *Client
	ctx context.Context
}

func (r *tileReader) Height() int { return wire.TileHeight }

func (r *tileReader) ReadTiles(tiles []sumtlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	errs := make([]error, len(tiles))
	var missing []int
	for i, t := range tiles {
		want := t.W * sumtlog.HashSize
		if d, ok := r.c.cache.Get(wire.TilePath(t)); ok && len(d) == want {
			out[i] = d
			continue
		}
		if t.W < wire.TileWidth {
			full := t
			full.W = wire.TileWidth
			if d, ok := r.c.cache.Get(wire.TilePath(full)); ok && len(d) == wire.TileWidth*sumtlog.HashSize {
				out[i] = d[:want:want]
				continue
			}
		}
		missing = append(missing, i)
	}
	fetchEach(len(missing), func(k int) {
		i := missing[k]
		if r.ctx.Err() != nil {
			errs[i] = fmt.Errorf("%w: %w", fetch.ErrFetch, r.ctx.Err())
			return
		}
		t := tiles[i]
		want := t.W * sumtlog.HashSize
		d, err := r.c.fetchShared(r.ctx, wire.TilePath(t), want)
		if err == nil && len(d) != want {
			err = fmt.Errorf("%w: %s: %d bytes, want %d", ErrMalformedTile, wire.TilePath(t), len(d), want)
		}
		out[i], errs[i] = d, err
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *tileReader) SaveTiles(tiles []sumtlog.Tile, data [][]byte) {
	for i, t := range tiles {
		r.c.cache.Put(wire.TilePath(t), data[i])
	}
}

// memCache is the default TileCache: verified tiles in memory; a partial
// tile replaces the narrower partial of the same coordinates and is
// dropped when the full tile arrives.
type memCache struct {
	mu      sync.Mutex
	m       map[string][]byte
	partial map[string]string // path without ".p/<W>" → the partial's path
}

func newMemCache() *memCache {
	return &memCache{m: make(map[string][]byte), partial: make(map[string]string)}
}

func (m *memCache) Get(path string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.m[path]
	return d, ok
}

func (m *memCache) Put(path string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.m[path]; ok {
		return
	}
	full, _, isPartial := strings.Cut(path, ".p/")
	if old, ok := m.partial[full]; ok {
		if isPartial && len(m.m[old]) >= len(data) {
			return
		}
		delete(m.m, old)
		delete(m.partial, full)
	}
	if isPartial {
		if _, ok := m.m[full]; ok {
			return
		}
		m.partial[full] = path
	}
	m.m[path] = bytes.Clone(data)
}

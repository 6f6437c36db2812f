package tlog_test

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/did/fetch"
)

// e2eLog is a published revocation log held in memory: every file the
// agency's Writer and WriteSubtrees publish (tiles, entry bundles,
// subtree chunks) at two states, n ids and n+add ids, with the signed
// checkpoint of each. The indexed roots and chunks are the real ones of
// the Poseidon2 tree over the ids.
type e2eLog struct {
	n, add int
	ids    []uint64
	files  map[string][]byte
	cp     [2][]byte // checkpoint notes at n and n+add
	key    *tlog.LogKey
}

// memLog serves an e2eLog from memory through the Getter interface, as a
// CDN over one HTTP/2 connection would, without a file open per tile;
// state picks the checkpoint served (0: n ids, 1: n+add).
type memLog struct {
	l     *e2eLog
	base  string
	state atomic.Int32
	rtt   time.Duration // added to each Get: a CDN's round trip
}

func (g *memLog) Get(ctx context.Context, rawURL, _ string) (*fetch.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", fetch.ErrFetch, err)
	}
	rel, ok := strings.CutPrefix(rawURL, g.base)
	if !ok {
		return &fetch.Response{StatusCode: 404, Status: "404 Not Found"}, nil
	}
	b, ok := g.file(rel)
	if g.rtt > 0 {
		time.Sleep(g.rtt)
	}
	if !ok {
		return &fetch.Response{StatusCode: 404, Status: "404 Not Found"}, nil
	}
	return &fetch.Response{StatusCode: 200, Status: "200 OK", Body: b}, nil
}

func (g *memLog) file(rel string) ([]byte, bool) {
	if rel == "checkpoint" {
		return g.l.cp[g.state.Load()], true
	}
	b, ok := g.l.files[rel]
	return b, ok
}

// ServeHTTP serves the same files over HTTP (the loopback variant).
func (g *memLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, ok := g.file(strings.TrimPrefix(r.URL.Path, "/"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.Write(b)
}

// e2eIDs returns the ids of credential/status's holder fixture (the same
// generator and seed), so both packages' benchmarks share its cached tree.
func e2eIDs(seed uint64, n int) []uint64 {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	seen := make(map[uint64]struct{}, n)
	ids := make([]uint64, 0, n)
	for len(ids) < n {
		id := rng.Uint64()
		if id == 0 || id == ^uint64(0) {
			continue
		}
		if _, ok := seen[id]; ok {
			continue
		}
		seen[id] = struct{}{}
		ids = append(ids, id)
	}
	return ids
}

// loadE2ELog returns the published log of n revoked ids and add more.
// The Poseidon2 tree (its roots and subtree chunks) comes from the
// fixture credential/status's BenchmarkHolderFirstWitness caches in the
// temporary directory (about 16 CPU-seconds per million ids to build: run
// that benchmark once first); the log's files, written once by a real
// Writer, are cached there too.
func loadE2ELog(b *testing.B, n, add int) *e2eLog {
	b.Helper()
	const seed = 42
	ids := e2eIDs(seed, n+add)
	h := zkhash.IndexedLeaf(fr.NewElement(1), zkhash.Compress(fr.NewElement(2), fr.NewElement(3)))
	probe := h.Bytes()
	tag := fmt.Sprintf("%d-%d-%d-%d-%d-%s", status.DefaultDepth, status.DefaultSubtreeLevel, seed, n, add, hex.EncodeToString(probe[:6]))
	treePath := filepath.Join(os.TempDir(), "zkcred-holder-fixture-v1-"+tag+".bin")
	logPath := filepath.Join(os.TempDir(), "zkcred-tlog-e2e-v1-"+tag+".bin")
	l := &e2eLog{n: n, add: add, ids: ids}
	var err error
	if l.key, err = tlog.NewLogKey("did:web:agency.example/revocation", seedKey(1).Public().(ed25519.PublicKey)); err != nil {
		b.Fatal(err)
	}
	if raw, err := os.ReadFile(logPath); err == nil {
		if err := l.unpack(raw); err == nil {
			return l
		}
	}
	roots, chunks, err := readTreeFixture(treePath)
	if errors.Is(err, fs.ErrNotExist) {
		b.Skipf("no cached tree fixture %s: run go test ./credential/status -run '^$' -bench 'HolderFirstWitness/revoked=%d$' -benchtime 1x first", treePath, n)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("writing the log of %d+%d ids (cached in %s)", n, add, logPath)
	dir := b.TempDir()
	now := time.Unix(1_800_000_000, 0)
	w, err := tlog.OpenWriter(context.Background(), tlog.WriterConfig{Dir: dir, Origin: l.key.Origin(), Kind: tlog.KindRevocation, Key: seedKey(1), Depth: status.DefaultDepth, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	seq := uint64(0)
	appendIDs := func(batch []uint64, root fr.Element) {
		seq++
		now = now.Add(time.Second)
		if _, err := w.AppendRevocations(context.Background(), batch, tlog.IndexedRoot{Depth: status.DefaultDepth, Root: root, Sequence: seq}); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < n; i += 500_000 {
		var r fr.Element // an intermediate checkpoint nobody reads
		if i+500_000 >= n {
			r = roots[0]
		}
		appendIDs(ids[i:min(i+500_000, n)], r)
	}
	l.cp[0] = w.Checkpoint().Note
	appendIDs(ids[n:], roots[1])
	l.cp[1] = w.Checkpoint().Note
	l.files = make(map[string][]byte)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, dir+string(filepath.Separator)))
		if !strings.HasPrefix(rel, "tile/") {
			return nil
		}
		l.files[rel], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	for s, size := range []int{n, n + add} {
		for j, c := range chunks[s] {
			l.files[tlog.SubtreePath(int64(size), uint64(j))] = c
		}
	}
	if err := os.WriteFile(logPath, l.pack(), 0o600); err != nil {
		b.Logf("log not cached: %v", err)
	}
	return l
}

// readTreeFixture reads credential/status's holder fixture: the roots at
// n and n+add ids, then each state's chunks.
func readTreeFixture(path string) (roots [2]fr.Element, chunks [2][][]byte, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return roots, chunks, err
	}
	if len(b) < 64 {
		return roots, chunks, errors.New("short tree fixture")
	}
	for i := range roots {
		if err := roots[i].SetBytesCanonical(b[32*i : 32*i+32]); err != nil {
			return roots, chunks, err
		}
	}
	b = b[64:]
	u32 := func() (int, bool) {
		if len(b) < 4 {
			return 0, false
		}
		k := int(binary.BigEndian.Uint32(b))
		b = b[4:]
		return k, true
	}
	for s := range chunks {
		k, ok := u32()
		if !ok {
			return roots, chunks, errors.New("truncated tree fixture")
		}
		for range k {
			m, ok := u32()
			if !ok || m > len(b) {
				return roots, chunks, errors.New("truncated tree fixture")
			}
			chunks[s] = append(chunks[s], b[:m])
			b = b[m:]
		}
	}
	if len(b) != 0 {
		return roots, chunks, errors.New("trailing tree fixture data")
	}
	return roots, chunks, nil
}

func (l *e2eLog) pack() []byte {
	var out []byte
	put := func(k string, v []byte) {
		out = binary.BigEndian.AppendUint16(out, uint16(len(k)))
		out = append(out, k...)
		out = binary.BigEndian.AppendUint32(out, uint32(len(v)))
		out = append(out, v...)
	}
	put("checkpoint.0", l.cp[0])
	put("checkpoint.1", l.cp[1])
	for k, v := range l.files {
		put(k, v)
	}
	return out
}

func (l *e2eLog) unpack(b []byte) error {
	l.files = make(map[string][]byte)
	for len(b) > 0 {
		if len(b) < 2 || len(b)-2 < int(binary.BigEndian.Uint16(b))+4 {
			return errors.New("truncated log fixture")
		}
		k := string(b[2 : 2+binary.BigEndian.Uint16(b)])
		b = b[2+len(k):]
		m := int(binary.BigEndian.Uint32(b))
		if m > len(b)-4 {
			return errors.New("truncated log fixture")
		}
		l.files[k] = b[4 : 4+m : 4+m]
		b = b[4+m:]
	}
	l.cp[0], l.cp[1] = l.files["checkpoint.0"], l.files["checkpoint.1"]
	delete(l.files, "checkpoint.0")
	delete(l.files, "checkpoint.1")
	if l.cp[0] == nil || l.cp[1] == nil {
		return errors.New("log fixture without checkpoints")
	}
	return nil
}

// e2eWallet is a wallet's sync and witness: Sync to the log's latest
// checkpoint, then the non-revocation witness of mine, verified against
// the checkpoint's indexed root.
func e2eWallet(b *testing.B, h *tlog.HolderSync, mine uint64, wantSize int) {
	cp, err := h.Sync(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if cp.Size != int64(wantSize) {
		b.Fatalf("synced to %d, want %d", cp.Size, wantSize)
	}
	w, err := h.Witness(mine)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.VerifyNonMembership(cp.Indexed.Root, status.DefaultDepth, fr.NewElement(mine)); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkHolderSyncE2E measures a wallet end to end, from an empty
// wallet and a published log to a non-revocation witness verified against
// the checkpoint's indexed root: the checkpoint (signature checked), every
// entry bundle and the hash tiles it needs (each verified against the
// checkpoint), the subtree chunks, the holder's own subtree and the top of
// the tree ("first"); then, from that state, a sync of 1,000 new
// revocations (new checkpoint, consistency proof from the tiles, the new
// entries, the changed chunks, the new witness: "incremental-1000").
//
// "mem" serves the files from memory through the Getter interface, as a
// CDN over one HTTP/2 connection would, without this machine's file-open
// cost; "mem-rtt20ms" adds 20 ms to each request, the round trip to a
// CDN (each sync's rounds of requests then cost what they would on a
// network: wall time, not CPU); "h2" serves them from a loopback httptest server over TLS and
// HTTP/2 through did/fetch (one connection, as in production); "http1"
// over plain HTTP/1.1 (development only: did/fetch keeps 2 idle
// connections a host, so most of the parallel requests open a new one). The timed syncs carry the pprof label
// sync=first or sync=incremental (-cpuprofile, then pprof -tagfocus).
// Metrics: wall_ms and cpu_s per sync,
// download_bytes (response bodies). -benchtime=1x is enough.
//
// 10^6 by default; ZKCRED_BENCH_TLOG_1E7=1 adds 10^7 (writing its log the
// first time takes minutes and 420 MB in the temporary directory). The
// tree fixture comes from credential/status's BenchmarkHolderFirstWitness
// (run it first at the same size).
func BenchmarkHolderSyncE2E(b *testing.B) {
	const add = 1000
	sizes := []int{1_000_000}
	if os.Getenv("ZKCRED_BENCH_TLOG_1E7") != "" {
		sizes = append(sizes, 10_000_000)
	}
	for _, n := range sizes {
		for _, via := range []string{"mem", "mem-rtt20ms", "h2", "http1"} {
			b.Run(fmt.Sprintf("%s/first/n=%d", via, n), func(b *testing.B) {
				l := loadE2ELog(b, n, add)
				g, getter, done := e2eGetter(b, l, via)
				defer done()
				p, err := tlog.NewPolicy(l.key, nil, 0)
				if err != nil {
					b.Fatal(err)
				}
				mine := uint64(0x5eed_0000_0000_0001)
				var wall, cpu time.Duration
				var bytes int64
				b.ReportAllocs()
				for b.Loop() {
					g.state.Store(0)
					cpu0, start := cpuTime(), time.Now()
					h, err := tlog.NewHolderSync(g.base, getter, p, status.DefaultDepth, status.DefaultSubtreeLevel, nil, nil)
					if err != nil {
						b.Fatal(err)
					}
					pprof.Do(context.Background(), pprof.Labels("sync", "first"), func(context.Context) { e2eWallet(b, h, mine, n) })
					wall += time.Since(start)
					cpu += cpuTime() - cpu0
					bytes = h.BytesDownloaded()
				}
				reportE2E(b, wall, cpu, bytes)
			})
			b.Run(fmt.Sprintf("%s/incremental-%d/n=%d", via, add, n), func(b *testing.B) {
				l := loadE2ELog(b, n, add)
				g, getter, done := e2eGetter(b, l, via)
				defer done()
				p, err := tlog.NewPolicy(l.key, nil, 0)
				if err != nil {
					b.Fatal(err)
				}
				mine := uint64(0x5eed_0000_0000_0001)
				var wall, cpu time.Duration
				var bytes int64
				b.ReportAllocs()
				for b.Loop() {
					b.StopTimer()
					g.state.Store(0)
					h, err := tlog.NewHolderSync(g.base, getter, p, status.DefaultDepth, status.DefaultSubtreeLevel, nil, nil)
					if err != nil {
						b.Fatal(err)
					}
					e2eWallet(b, h, mine, n)
					g.state.Store(1)
					before := h.BytesDownloaded()
					b.StartTimer()
					cpu0, start := cpuTime(), time.Now()
					pprof.Do(context.Background(), pprof.Labels("sync", "incremental"), func(context.Context) { e2eWallet(b, h, mine, n+add) })
					wall += time.Since(start)
					cpu += cpuTime() - cpu0
					bytes = h.BytesDownloaded() - before
				}
				reportE2E(b, wall, cpu, bytes)
			})
		}
	}
}

func e2eGetter(b *testing.B, l *e2eLog, via string) (*memLog, tlog.Getter, func()) {
	g := &memLog{l: l, base: "https://log.example/"}
	cfg := &fetch.Config{InsecureAllowPrivateAddresses: true}
	var srv *httptest.Server
	switch via {
	case "mem":
		return g, g, func() {}
	case "mem-rtt20ms":
		g.rtt = 20 * time.Millisecond
		return g, g, func() {}
	case "http1":
		srv = httptest.NewServer(g)
		cfg.InsecureAllowHTTP = true
	case "h2":
		srv = httptest.NewUnstartedServer(g)
		srv.EnableHTTP2 = true
		srv.StartTLS()
		pool := x509.NewCertPool()
		pool.AddCert(srv.Certificate())
		cfg.TLSConfig = &tls.Config{RootCAs: pool}
	}
	g.base = srv.URL + "/"
	hc, err := fetch.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return g, hc, srv.Close
}

func reportE2E(b *testing.B, wall, cpu time.Duration, bytes int64) {
	b.ReportMetric(float64(wall.Microseconds())/1e3/float64(b.N), "wall_ms")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu_s")
	b.ReportMetric(float64(bytes), "download_bytes")
}

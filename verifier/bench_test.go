package verifier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/zkp"
)

// Benchmarks of the verifying service:
//
//	go test -run '^$' -bench 'BenchmarkVerify$|BenchmarkHandlerThroughput|BenchmarkBoltAnswer' -benchtime 3s ./verifier
//
// PostgreSQL runs when ZKCRED_PG_DSN is set or testdata/start-postgres.sh
// can start a server (see main_test.go), and is skipped otherwise.

// benchPool holds proven, unscoped requests, built once per test binary
// and grown on demand (proving them is most of a benchmark's setup: 512
// for 512 concurrent clients, 64 for one client). reset puts them back in
// a store unanswered (the same nonces, so the same proofs answer them
// again): every timed verification is a full, accepted one.
type benchPool struct {
	e      *env
	store  Store
	holder *testHolder
	policy protocol.Policy
	token  string // the issuer's signed root, signed once
	reqs   []*StoredRequest
	subs   [][]byte
}

var (
	benchPoolMu  sync.Mutex
	benchPoolVal *benchPool
)

// getBenchPool returns the pool with at least n proven requests.
func getBenchPool(b *testing.B, n int) *benchPool {
	benchPoolMu.Lock()
	defer benchPoolMu.Unlock()
	p := benchPoolVal
	if p == nil {
		agency := newTestIssuer(b, "agency.example")
		// The pool's own store outlives each benchmark's temp dir; its
		// file is unlinked at once (bbolt keeps its descriptor).
		path := filepath.Join(os.TempDir(), fmt.Sprintf("zkcred-bench-%d.db", os.Getpid()))
		s, err := OpenBolt(path)
		if err != nil {
			b.Fatal(err)
		}
		os.Remove(path)
		p = &benchPool{e: newEnv(b, s, agency), store: s, holder: agency.issue(b, aliceData), policy: votePolicy(agency.did)}
		p.policy.Scope = "" // a nullifier could be recorded only once
		p.token = agency.signedRoot(b)
		benchPoolVal = p
	}
	if len(p.reqs) >= n {
		return p
	}
	reqs := make([]*protocol.Request, n-len(p.reqs))
	for i := range reqs {
		r, err := p.e.v.NewRequest(context.Background(), p.policy)
		if err != nil {
			b.Fatal(err)
		}
		sr, err := p.store.GetRequest(context.Background(), r.ID)
		if err != nil {
			b.Fatal(err)
		}
		reqs[i] = r
		p.reqs = append(p.reqs, sr)
	}
	subs := make([][]byte, len(reqs))
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 2 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(reqs)); i = next.Add(1) - 1 {
				subs[i] = p.holder.prove(b, reqs[i])
			}
		})
	}
	wg.Wait()
	p.subs = append(p.subs, subs...)
	return p
}

// verifier returns a verifier of the pool's world over store, whose root
// source returns the same signed root every time (as a cache in front of
// the issuer would; the OpenID4VP holder carries it).
func (p *benchPool) verifier(b *testing.B, store Store) *Verifier {
	roots := RootSourceFunc(func(context.Context, string) (string, error) { return p.token, nil })
	return p.e.newVerifierWith(b, store, nil, roots, nil)
}

// reset removes every request from store and stores the first n of the
// pool unanswered (one bbolt transaction for a BoltStore).
func (p *benchPool) reset(b *testing.B, store Store, n int) {
	ctx := context.Background()
	if _, err := store.DeleteExpired(ctx, farFuture); err != nil {
		b.Fatal(err)
	}
	if bs, ok := store.(*BoltStore); ok {
		err := bs.db.Update(func(tx *bolt.Tx) error {
			for _, r := range p.reqs[:n] {
				val, err := json.Marshal(map[string]any{"v": 1, "id": r.ID, "nonce": r.Nonce, "body": r.Body,
					"exp": r.ExpiresAt.UnixNano(), "created": r.CreatedAt.UnixNano()})
				if err != nil {
					return err
				}
				if err := tx.Bucket(bucketRequests).Put([]byte(r.ID), val); err != nil {
					return err
				}
				if err := tx.Bucket(bucketNonces).Put(r.Nonce, []byte(r.ID)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return
	}
	for _, r := range p.reqs[:n] {
		if err := store.CreateRequest(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

var benchStores = []struct {
	name string
	open func(b *testing.B) Store
}{
	{"bbolt", func(b *testing.B) Store { return newBolt(b) }},
	{"postgres", func(b *testing.B) Store { return pgSchemaForTest(b)() }},
}

// bareGroth16 returns the median time of the proof check alone
// (zkp.Verify of the first pool presentation, decoded, against its
// statement computed once) over 200 calls, the CPU time per call, and the
// check.
func bareGroth16(b *testing.B, p *benchPool) (time.Duration, time.Duration, func()) {
	v := p.e.v
	_, pres, err := protocol.ParseSubmission(p.subs[0], v.cfg.Key)
	if err != nil {
		b.Fatal(err)
	}
	c, err := v.compiled(p.reqs[0].Body)
	if err != nil {
		b.Fatal(err)
	}
	iss := p.e.issuers[0]
	st := c.Statement(iss.zk.Public(), iss.tree.Root())
	check := func() {
		if err := zkp.Verify(v.cfg.Key, st, pres); err != nil {
			b.Fatal(err)
		}
	}
	times := make([]time.Duration, 200)
	cpu0 := cpuTime()
	for i := range times {
		t0 := time.Now()
		check()
		times[i] = time.Since(t0)
	}
	cpu := (cpuTime() - cpu0) / time.Duration(len(times))
	slices.Sort(times)
	return times[len(times)/2], cpu, check
}

// BenchmarkVerify measures one accepted VerifyID call (decode, DID
// resolution from a static resolver, signed root check, statement, Groth16
// verification, atomic store update), without network, one at a time;
// x_groth16 is its time over the bare proof check's (groth16 below, the
// median of 200 checks made just before), cpu_ms the CPU time of the
// process per verification (both cores; steadier than wall time on a
// shared machine) and x_groth16_cpu its ratio to the bare check's. allocs/op
// are those of one verification.
func BenchmarkVerify(b *testing.B) {
	const pool = 64
	p := getBenchPool(b, pool)
	_, _, check := bareGroth16(b, p)
	b.Run("groth16", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			check()
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/verify")
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1e3/float64(b.N), "cpu_ms")
	})
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			store := bs.open(b)
			v := p.verifier(b, store)
			ctx := context.Background()
			bare, bareCPU, _ := bareGroth16(b, p)
			b.ReportAllocs()
			b.ResetTimer()
			var cpu time.Duration
			done := 0
			for done < b.N {
				b.StopTimer()
				n := min(pool, b.N-done)
				p.reset(b, store, n)
				b.StartTimer()
				cpu0 := cpuTime()
				for i := range n {
					if _, err := v.VerifyID(ctx, p.reqs[i].ID, p.subs[i]); err != nil {
						b.Fatal(err)
					}
				}
				cpu += cpuTime() - cpu0
				done += n
			}
			per := b.Elapsed().Seconds() / float64(b.N)
			perCPU := cpu.Seconds() / float64(b.N)
			b.ReportMetric(per*1e3, "ms/verify")
			b.ReportMetric(per/bare.Seconds(), "x_groth16")
			b.ReportMetric(perCPU*1e3, "cpu_ms")
			b.ReportMetric(perCPU/bareCPU.Seconds(), "x_groth16_cpu")
		})
	}
}

// BenchmarkHandlerThroughput posts accepted presentations to the handler
// over loopback HTTP from 8, 64 and 512 concurrent clients, each posting
// one presentation after another, and reports verifications per second
// and the process's CPU time per verification (cpu_ms). allocs/op count everything in the process per verification, the HTTP
// client's included.
func BenchmarkHandlerThroughput(b *testing.B) {
	p := getBenchPool(b, 512)
	for _, bs := range benchStores {
		for _, clients := range []int{8, 64, 512} {
			b.Run(fmt.Sprintf("%s/clients=%d", bs.name, clients), func(b *testing.B) {
				handlerThroughput(b, p, bs.open(b), clients)
			})
		}
	}
}

func handlerThroughput(b *testing.B, p *benchPool, store Store, clients int) {
	v := p.verifier(b, store)
	srv := httptest.NewServer(v.Handler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	var failed atomic.Bool
	post := func(i int) {
		resp, err := client.Post(srv.URL+"/requests/"+p.reqs[i].ID+"/presentations", "application/json", bytes.NewReader(p.subs[i]))
		if err != nil {
			if !failed.Swap(true) {
				b.Error(err)
			}
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && !failed.Swap(true) {
			b.Errorf("status %d", resp.StatusCode)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var cpu time.Duration
	done := 0
	for done < b.N && !failed.Load() {
		b.StopTimer()
		n := min(len(p.reqs), b.N-done)
		p.reset(b, store, n)
		b.StartTimer()
		var next atomic.Int64
		var wg sync.WaitGroup
		cpu0 := cpuTime()
		for range min(clients, n) {
			wg.Go(func() {
				for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
					post(int(i))
				}
			})
		}
		wg.Wait()
		cpu += cpuTime() - cpu0
		done += n
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
	// CPU per verification, HTTP client included: the throughput 2 cores
	// would give this process alone is about 2000/cpu_ms.
	b.ReportMetric(cpu.Seconds()*1e3/float64(b.N), "cpu_ms")
}

// BenchmarkBoltAnswer measures Store.Answer alone on bbolt, from 8 and 64
// goroutines, in four ways: one Update (one fsync) per answer; bbolt's
// DB.Batch with its default MaxBatchDelay (10 ms) and with 200 µs; and
// BoltStore.Answer's group commit. With refusals, every 8th answer is a
// replay (ErrReplay), an ordinary outcome that makes DB.Batch roll back
// and re-run its batch.
func BenchmarkBoltAnswer(b *testing.B) {
	type mode struct {
		name   string
		answer func(s *BoltStore, a *AnswerRecord) error
	}
	viaDB := func(batch bool, delay time.Duration) func(s *BoltStore, a *AnswerRecord) error {
		return func(s *BoltStore, a *AnswerRecord) error {
			f := func(tx *bolt.Tx) error { return boltAnswerTx(tx, a) }
			if batch {
				if delay != 0 {
					s.db.MaxBatchDelay = delay
				}
				return storeErr("bbolt", s.db.Batch(f))
			}
			return storeErr("bbolt", s.db.Update(f))
		}
	}
	modes := []mode{
		{"update", viaDB(false, 0)},
		{"batch-10ms", viaDB(true, 0)},
		{"batch-200us", viaDB(true, 200*time.Microsecond)},
		{"group", func(s *BoltStore, a *AnswerRecord) error { return s.Answer(context.Background(), a) }},
	}
	const k = 1024
	for _, refusals := range []bool{false, true} {
		for _, goroutines := range []int{8, 64} {
			for _, m := range modes {
				name := fmt.Sprintf("%s/goroutines=%d", m.name, goroutines)
				if refusals {
					name = "refusals/" + name
				}
				b.Run(name, func(b *testing.B) {
					s := newBolt(b)
					if m.name == "batch-200us" {
						s.db.MaxBatchDelay = 200 * time.Microsecond
					}
					reqs := make([]*StoredRequest, k)
					for i := range reqs {
						reqs[i] = newStoredRequest(b, time.Now().Add(time.Hour))
					}
					b.ResetTimer()
					var replays, others atomic.Int64
					done := 0
					for done < b.N {
						b.StopTimer()
						n := min(k, b.N-done)
						if _, err := s.DeleteExpired(context.Background(), farFuture); err != nil {
							b.Fatal(err)
						}
						err := s.db.Update(func(tx *bolt.Tx) error {
							for _, r := range reqs[:n] {
								val, _ := json.Marshal(map[string]any{"v": 1, "id": r.ID, "nonce": r.Nonce, "body": r.Body,
									"exp": r.ExpiresAt.UnixNano(), "created": r.CreatedAt.UnixNano()})
								if err := tx.Bucket(bucketRequests).Put([]byte(r.ID), val); err != nil {
									return err
								}
								if err := tx.Bucket(bucketNonces).Put(r.Nonce, []byte(r.ID)); err != nil {
									return err
								}
							}
							return nil
						})
						if err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
						var next atomic.Int64
						var wg sync.WaitGroup
						for range goroutines {
							wg.Go(func() {
								for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
									id := reqs[i].ID
									if refusals && i%8 == 7 {
										id = reqs[i-1].ID // answered a moment ago, or about to be
									}
									err := m.answer(s, &AnswerRecord{RequestID: id, At: time.Now()})
									switch {
									case err == nil:
									case refusals && i%8 == 7 && errors.Is(err, ErrReplay):
										replays.Add(1)
									default:
										others.Add(1)
									}
								}
							})
						}
						wg.Wait()
						done += n
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "answers/s")
					if others.Load() != 0 && !refusals {
						b.Fatalf("%d answers failed", others.Load())
					}
				})
			}
		}
	}
}

package registry

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zkcred/zkcred/credential/status"
)

// PostgreSQL for the shared-store tests: ZKCRED_PG_DSN if set (.ci/run
// starts a server and sets it), else a throwaway server started by the
// verifier's testdata/start-postgres.sh (needs the postgresql package) on
// first use and stopped when the tests end, else those tests skip and say
// why.
var (
	pgDSN   string
	pgSkip  string
	pgOnce  sync.Once
	pgStop  = func() {}
	pgStopM sync.Mutex
)

const startPostgres = "../../../verifier/testdata/start-postgres.sh"

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	pgStopM.Lock()
	pgStop()
	pgStopM.Unlock()
	os.Exit(code)
}

// postgresDSN returns the DSN of the test server or skips tb.
func postgresDSN(tb testing.TB) string {
	pgOnce.Do(func() {
		stop := setupPostgres()
		pgStopM.Lock()
		pgStop = stop
		pgStopM.Unlock()
	})
	if pgDSN == "" {
		tb.Skip(pgSkip)
	}
	return pgDSN
}

func setupPostgres() (stop func()) {
	if dsn := os.Getenv("ZKCRED_PG_DSN"); dsn != "" {
		pgDSN = dsn
		return func() {}
	}
	dir, err := os.MkdirTemp("", "zkcred-pg-registry-")
	if err != nil {
		pgSkip = err.Error()
		return func() {}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, startPostgres, dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		os.RemoveAll(dir)
		pgSkip = fmt.Sprintf("no PostgreSQL for the shared registry tests: ZKCRED_PG_DSN is unset and %s could not start a server (%v): %s",
			startPostgres, err, strings.TrimSpace(stderr.String()))
		return func() {}
	}
	pgDSN = strings.TrimSpace(string(out))
	return func() {
		exec.Command(startPostgres, "--stop", dir).Run()
		os.RemoveAll(dir)
	}
}

// pgSchemaDSN creates a fresh schema on the test server (dropped when the
// test ends) and returns a DSN whose search_path is that schema: one
// registry.
func pgSchemaDSN(tb testing.TB) string {
	tb.Helper()
	dsn := postgresDSN(tb)
	ctx := context.Background()
	schema := fmt.Sprintf("registry_%d", time.Now().UnixNano())
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connecting to the test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if c, err := pgx.Connect(ctx, dsn); err == nil {
			c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

func openPGStore(tb testing.TB, dsn string) *PostgresStore {
	tb.Helper()
	st, err := OpenPostgresStore(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func openPG(tb testing.TB, dsn string) (*Registry, *PostgresStore) {
	tb.Helper()
	st := openPGStore(tb, dsn)
	r, err := Open(st, testConfig())
	if err != nil {
		tb.Fatal(err)
	}
	return r, st
}

// killSession ends st's writer session from another connection, as a
// crashed host or a dropped network would.
func killSession(tb testing.TB, dsn string, st *PostgresStore) {
	tb.Helper()
	st.mu.Lock()
	pid := st.conn.PgConn().PID()
	st.mu.Unlock()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close(ctx)
	var ok bool
	if err := c.QueryRow(ctx, `SELECT pg_terminate_backend($1, 5000)`, pid).Scan(&ok); err != nil || !ok {
		tb.Fatalf("terminating the writer session: %v", err)
	}
}

// revokeAsWriter retries while another instance still holds the lock (a
// killed writer's session takes a moment to end).
func revokeAsWriter(tb testing.TB, r *Registry, ids ...uint64) *status.RootClaims {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := r.Revoke(ids...)
		if err == nil {
			return c
		}
		if !errors.Is(err, ErrNotWriter) || time.Now().After(deadline) {
			tb.Fatalf("revoke %v: %v", ids, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPostgresRegistry(t *testing.T) {
	dsn := pgSchemaDSN(t)
	r, st := openPG(t, dsn)
	if _, err := r.Revoke(10, 20, 30); err != nil {
		t.Fatal(err)
	}
	id, err := r.NewRevocationID()
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := r.Issued(id); !ok || err != nil {
		t.Fatalf("issued id not recorded: %v", err)
	}
	c, err := r.Revoke(id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Count != 4 || c.Sequence != 2 {
		t.Fatalf("claims %+v", c)
	}
	if _, err := r.Revoke(20); !errors.Is(err, status.ErrRevoked) {
		t.Fatalf("revoked twice: %v", err)
	}
	if err := r.SetStatus("1", 5, true); err != nil {
		t.Fatal(err)
	}
	idx, err := r.AllocateStatusIndex("1")
	if err != nil {
		t.Fatal(err)
	}
	jws, err := r.RefreshRoot()
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Reopen: the same state, rebuilt from the database.
	r2, _ := openPG(t, dsn)
	if r2.Root() != r.Root() || r2.SignedRoot() != jws {
		t.Fatalf("reopened: %+v, want %+v", r2.Root(), r.Root())
	}
	if ids, _ := r2.RevokedSince(0, 0); fmt.Sprint(ids) != fmt.Sprint([]uint64{10, 20, 30, id}) {
		t.Fatalf("revoked ids %v", ids)
	}
	bits, err := r2.StatusBits("1")
	if err != nil || len(bits) != status.MinStatusListBits/8 || bits[0] != 0x04 {
		t.Fatalf("status bits: %v", err)
	}
	if _, err := r2.AllocateStatusIndex("1"); err != nil {
		t.Fatal(err)
	}
	_ = idx
	ht, err := r2.Snapshot().Tree()
	if err != nil {
		t.Fatal(err)
	}
	if got := ht.Root(); got != r2.Root().Root {
		t.Fatal("snapshot root differs")
	}
}

// TestPostgresFailover runs two instances of a registry on one database:
// one writes, the other serves reads and takes over when the writer's
// session ends; a writer that lost its lock cannot write.
func TestPostgresFailover(t *testing.T) {
	dsn := pgSchemaDSN(t)
	a, sa := openPG(t, dsn)
	b, sb := openPG(t, dsn)

	// a made the registry and holds the writer lock.
	c1, err := a.Revoke(1, 2)
	if err != nil {
		t.Fatal(err)
	}
	for name, write := range map[string]func() error{
		"Revoke":              func() error { _, err := b.Revoke(3); return err },
		"RefreshRoot":         func() error { _, err := b.RefreshRoot(); return err },
		"NewRevocationID":     func() error { _, err := b.NewRevocationID(); return err },
		"AllocateStatusIndex": func() error { _, err := b.AllocateStatusIndex("1"); return err },
		"SetStatus":           func() error { return b.SetStatus("1", 1, true) },
	} {
		err := write()
		if !errors.Is(err, ErrNotWriter) || !strings.Contains(err.Error(), "this instance serves reads") {
			t.Errorf("%s on the reader: %v, want ErrNotWriter", name, err)
		}
	}
	if b.IsRevoked(3) {
		t.Fatal("the reader's failed revoke changed its state")
	}
	// The reader serves what the writer committed once it syncs.
	if b.IsRevoked(1) {
		t.Fatal("reader changed without Sync")
	}
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	if b.Root() != *c1 || b.SignedRoot() != a.SignedRoot() || !b.IsRevoked(2) {
		t.Fatalf("reader after Sync: %+v, writer %+v", b.Root(), *c1)
	}

	// The writer's session dies (a crash, a dropped network): b takes over
	// and continues the sequence.
	killSession(t, dsn, sa)
	c2 := revokeAsWriter(t, b, 3)
	if c2.Sequence != c1.Sequence+1 || c2.Count != 3 {
		t.Fatalf("after failover: %+v, before %+v", c2, c1)
	}
	// The old writer cannot write: its session is gone, and the lock with it.
	for range 2 {
		if _, err := a.Revoke(4); err == nil {
			t.Fatal("the old writer wrote after losing its lock")
		}
	}
	if _, err := a.Revoke(4); !errors.Is(err, ErrNotWriter) {
		t.Fatalf("old writer: %v, want ErrNotWriter", err)
	}
	if err := a.Sync(); err != nil {
		t.Fatal(err)
	}
	if a.Root() != *c2 || a.IsRevoked(4) || !a.IsRevoked(3) {
		t.Fatalf("old writer after Sync: %+v, want %+v", a.Root(), *c2)
	}

	// Fencing: another instance takes over (advancing the epoch) while b
	// still believes it writes; b's next write is refused inside its
	// transaction and changes nothing.
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `UPDATE zkcred_registry_writer SET epoch = epoch + 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Revoke(5); !errors.Is(err, ErrNotWriter) {
		t.Fatalf("fenced writer: %v, want ErrNotWriter", err)
	}
	var count int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM zkcred_registry_kv WHERE bucket = 'revoked'`).Scan(&count); err != nil || count != 3 {
		t.Fatalf("the fenced write reached the database: %d ids (%v)", count, err)
	}
	// b gave up its session; a takes the free lock.
	c3 := revokeAsWriter(t, a, 5)
	if c3.Sequence != c2.Sequence+1 || c3.Count != 4 {
		t.Fatalf("after second failover: %+v", c3)
	}
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	if b.Root() != *c3 {
		t.Fatal("b did not catch up")
	}
	// Closing the writer's store hands the lock over at once.
	sa.Close()
	revokeAsWriter(t, b, 6)
	_ = sb
}

// TestPostgresConcurrentFailover revokes from two instances at once while
// the writer's session is killed repeatedly (run under -race): every
// acknowledged revocation stays, each sequence number is acknowledged
// once, and the stored ids are one gap-free sequence.
func TestPostgresConcurrentFailover(t *testing.T) {
	dsn := pgSchemaDSN(t)
	regs, stores := make([]*Registry, 2), make([]*PostgresStore, 2)
	for i := range regs {
		regs[i], stores[i] = openPG(t, dsn)
	}
	var (
		mu    sync.Mutex
		acked []uint64
		seqs  = map[uint64]bool{}
		wg    sync.WaitGroup
		stop  = make(chan struct{})
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := regs[w%2]
			for i := range 40 {
				id := uint64(w*1000 + i + 1)
				c, err := r.Revoke(id)
				if err != nil {
					if !errors.Is(err, ErrNotWriter) && !errors.Is(err, ErrStore) {
						t.Errorf("revoke: %v", err)
					}
					time.Sleep(time.Millisecond)
					continue
				}
				mu.Lock()
				acked = append(acked, id)
				if seqs[c.Sequence] {
					t.Errorf("sequence %d acknowledged twice", c.Sequence)
				}
				seqs[c.Sequence] = true
				mu.Unlock()
			}
		}()
	}
	killed := make(chan int)
	go func() {
		n := 0
		defer func() { killed <- n }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(30 * time.Millisecond):
			}
			for _, st := range stores {
				st.mu.Lock()
				var pid uint32
				if st.held && st.conn != nil {
					pid = st.conn.PgConn().PID()
				}
				st.mu.Unlock()
				if pid != 0 {
					if c, err := pgx.Connect(context.Background(), dsn); err == nil {
						c.Exec(context.Background(), `SELECT pg_terminate_backend($1)`, pid)
						c.Close(context.Background())
						n++
					}
				}
			}
		}
	}()
	wg.Wait()
	close(stop)
	t.Logf("%d acknowledged revocations, %d writer sessions killed", len(acked), <-killed)
	if len(acked) == 0 {
		t.Fatal("nothing acknowledged")
	}
	r, _ := openPG(t, dsn) // Open rebuilds the tree and checks the root
	for _, id := range acked {
		if !r.IsRevoked(id) {
			t.Fatalf("acknowledged id %d lost", id)
		}
	}
	// An unacknowledged revoke may have committed (the session died in
	// COMMIT); it still has a sequence number of its own.
	if c := r.Root(); c.Count < uint64(len(acked)) || c.Sequence != c.Count {
		t.Fatalf("claims %+v after %d acknowledged revocations", c, len(acked))
	}
}

// TestPostgresCrashSafety: a child process revokes as the writer and is
// killed with SIGKILL; an instance that was serving reads takes over and
// holds every acknowledged id, in order; a reopened registry too.
func TestPostgresCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dsn := pgSchemaDSN(t)
	{ // create the registry, then let go of the lock
		r, st := openPG(t, dsn)
		_ = r
		st.Close()
	}
	var acked []uint64
	for round := range 2 {
		st := openPGStore(t, dsn)
		reader, err := Open(st, testConfig())
		if err != nil {
			t.Fatal(err)
		}
		acked = append(acked, runCrashChild(t, crashPGEnv+"="+dsn, 20+20*round)...)
		// The reader takes over from the killed writer.
		takeover := uint64(1<<62 + round)
		c := revokeAsWriter(t, reader, takeover)
		acked = append(acked, takeover)
		checkCrashState(t, reader, acked, round+1)
		if c.Sequence != c.Count {
			t.Fatalf("round %d: claims %+v", round, c)
		}
		st.Close() // hands the lock to the next round's child
		// A registry opened afresh rebuilds the same state.
		r, st2 := openPG(t, dsn)
		if r.Root() != reader.Root() {
			t.Fatalf("round %d: reopened %+v, reader %+v", round, r.Root(), reader.Root())
		}
		st2.Close()
	}
}

// ExampleOpenPostgresStore runs one instance of an agency's issuer on a
// registry shared through PostgreSQL: whichever instance makes the first
// change becomes the writer, the others serve reads and take over when the
// writer's session ends.
func ExampleOpenPostgresStore() {
	ctx := context.Background()
	st, err := OpenPostgresStore(ctx, os.Getenv("ZKCRED_REGISTRY_PG"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close() // releases the writer lock
	reg, err := Open(st, Config{Issuer: "did:web:agency.example", KeyID: "did:web:agency.example#jose-1", Signer: testEdKey})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := reg.Revoke(42); errors.Is(err, ErrNotWriter) {
		// Send the change to the writer; meanwhile serve reads, syncing
		// every few seconds.
		_ = reg.Sync()
	}
	fmt.Println(reg.Root().Sequence)
}

// TestPostgresOpenTogether: instances starting together on an empty
// database all open the one registry the first of them creates.
func TestPostgresOpenTogether(t *testing.T) {
	dsn := pgSchemaDSN(t)
	const n = 4
	regs := make([]*Registry, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		st := openPGStore(t, dsn)
		wg.Add(1)
		go func() {
			defer wg.Done()
			regs[i], errs[i] = Open(st, testConfig())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		if regs[i].SignedRoot() != regs[0].SignedRoot() {
			t.Fatalf("instance %d opened another registry", i)
		}
	}
}

// TestPostgresCorrupt: what the database holds is checked and bounded
// before it is used: each bad state is ErrCorrupt, never a panic or an
// allocation the size of a claimed count.
func TestPostgresCorrupt(t *testing.T) {
	ctx := context.Background()
	for name, sql := range map[string]string{
		"oversized value":    `UPDATE zkcred_registry_kv SET value = repeat('x', 16777217)::bytea WHERE bucket = 'meta' AND key = 'jws'::bytea`,
		"oversized key":      `INSERT INTO zkcred_registry_kv VALUES ('revoked', repeat('k', 600)::bytea, '\x01'::bytea)`,
		"gap in revoked ids": `DELETE FROM zkcred_registry_kv WHERE bucket = 'revoked' AND key = '\x0000000000000002'::bytea`,
		"count beyond rows":  `UPDATE zkcred_registry_kv SET value = '\x00000000000f0000'::bytea WHERE bucket = 'meta' AND key = 'count'::bytea`,
		"count beyond depth": `UPDATE zkcred_registry_kv SET value = '\x0000010000000000'::bytea WHERE bucket = 'meta' AND key = 'count'::bytea`,
		"swapped id":         `UPDATE zkcred_registry_kv SET value = '\x0000000000000015'::bytea WHERE bucket = 'revoked' AND key = '\x0000000000000002'::bytea`,
		"malformed root":     `UPDATE zkcred_registry_kv SET value = '\xff'::bytea WHERE bucket = 'meta' AND key = 'root'::bytea`,
	} {
		t.Run(name, func(t *testing.T) {
			dsn := pgSchemaDSN(t)
			r, st := openPG(t, dsn)
			if _, err := r.Revoke(10, 20, 30); err != nil {
				t.Fatal(err)
			}
			st.Close()
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, sql); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(openPGStore(t, dsn), testConfig()); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
		})
	}
}

// TestPostgresCloseHandsOver: a writer that closes gracefully has released
// the lock when Close returns, so the next instance writes at once, with
// no retry. (Closing the connection alone leaves the release to the
// server process's exit, a moment later: CI once caught a reader refused
// in that moment.)
func TestPostgresCloseHandsOver(t *testing.T) {
	dsn := pgSchemaDSN(t)
	prev, prevSt := openPG(t, dsn)
	if _, err := prev.Revoke(1); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		next, nextSt := openPG(t, dsn)
		if err := next.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := prevSt.Close(); err != nil {
			t.Fatal(err)
		}
		c, err := next.Revoke(uint64(i + 2))
		if err != nil {
			t.Fatalf("handover %d: the next instance was refused right after the writer's Close: %v", i, err)
		}
		if c.Count != uint64(i+2) {
			t.Fatalf("handover %d: count %d", i, c.Count)
		}
		prev, prevSt = next, nextSt
	}
	_ = prev
}

// Command witness runs a transparency-log witness for zkcred revocation and
// keys logs: it serves the C2SP tlog-witness add-checkpoint endpoint,
// checks each checkpoint an agency submits (the log's signature, the
// consistency proof from the last size it cosigned, no second different
// checkpoint of the same size, none smaller), stores it durably in a bbolt
// file and answers with its tlog-cosignature/v1 cosignature. Verifiers and
// wallets accept an agency's revocation root only with a quorum of such
// cosignatures (package credential/status/tlog).
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/credential/status/tlog/witness"
	"github.com/zkcred/zkcred/examples/internal/serve"
)

const usage = `usage: witness -log VKEY [-log VKEY ...] [flags]

Runs a tlog-witness (c2sp.org/tlog-witness) for zkcred logs.

  POST /add-checkpoint     an agency's request: "old <size>", consistency
                           proof lines, an empty line, its signed checkpoint
                           -> 200 and the cosignature line, or 400, 403
                           (bad signature), 404 (unknown log), 409 (old
                           size is not the last cosigned one: the body is
                           that size; or a split view), 422 (bad proof)
  GET  /                   this witness's name, verifier key and logs
  GET  /healthz, /readyz   liveness; readiness (the store answers)
  GET  /metrics            Prometheus metrics

Each -log is a log's signed-note verifier key, as the agency prints it
(examples/issuer logs it at start):
  did:web:agency.example/revocation+1a2b3c4d+AU...=
The witness's Ed25519 key is kept in DIR/witness.key (created on first
run, mode 0600) and its state in DIR/witness.db (bbolt): copy neither to
another witness. Give this witness's verifier key (-print-key) to the
verifiers and wallets that count its cosignatures, and its URL
(http(s)://ADDR/add-checkpoint) to the agency.

`

const examples = `
Examples:
  witness -print-key -data witness-data -name witness.localhost
  witness -data witness-data -name witness.localhost -log "$(cat issuer-data/revocation.vkey)"
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "witness: error: %v\n", err)
		os.Exit(1)
	}
}

// getenv reads the ZKCRED_* variables (a variable for tests).
var getenv = os.Getenv

type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

type options struct {
	addr, data, name string
	logs             stringList
	printKey         bool
	serve.Common
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("witness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\n"+serve.EnvHelp)
		fmt.Fprint(stderr, examples)
	}
	o := &options{}
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8090", "listen address")
	fs.StringVar(&o.data, "data", "witness-data", "`DIR` of the witness's key (witness.key) and state (witness.db), created on first use")
	fs.StringVar(&o.name, "name", "witness.localhost", "the witness's key `NAME` in cosignatures (conventionally its host name; no spaces or +)")
	fs.Var(&o.logs, "log", "a witnessed log's verifier key `VKEY` (repeatable, at least one)")
	fs.BoolVar(&o.printKey, "print-key", false, "print this witness's verifier key (created if missing) and exit")
	o.Common.Register(fs)
	serve.DocumentEnv(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := serve.FromEnv(fs, getenv); err != nil {
		return nil, err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return nil, fmt.Errorf("bad arguments: unexpected %q", fs.Arg(0))
	}
	if len(o.logs) == 0 && !o.printKey {
		fs.Usage()
		return nil, errors.New("bad arguments: missing -log VKEY (the verifier key of a log to witness, e.g. the one examples/issuer prints)")
	}
	if err := o.Common.Check(); err != nil {
		fs.Usage()
		return nil, fmt.Errorf("bad arguments: %w", err)
	}
	return o, nil
}

// loadKey reads DIR/witness.key (the base64 Ed25519 seed and a newline),
// creating it on first use.
func loadKey(dir string) (ed25519.PrivateKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := filepath.Join(dir, "witness.key")
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		seed := make([]byte, ed25519.SeedSize)
		rand.Read(seed)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		_, err = f.WriteString(base64.StdEncoding.EncodeToString(seed) + "\n")
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if err != nil {
		return nil, err
	}
	s, ok := strings.CutSuffix(string(b), "\n")
	seed, err := base64.StdEncoding.Strict().DecodeString(s)
	if !ok || err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s is not a witness key (one line: the base64 32-byte Ed25519 seed); move it away to create a new key", p)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// run serves until ctx ends; with -print-key it prints the key to stdout
// and returns. If ready is not nil it receives the base URL once the
// server listens.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(baseURL string)) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger, err := o.Logger(stderr)
	if err != nil {
		return err
	}
	key, err := loadKey(o.data)
	if err != nil {
		return fmt.Errorf("witness key: %w", err)
	}
	wk, err := tlog.NewWitnessKey(o.name, key.Public().(ed25519.PublicKey))
	if err != nil {
		return fmt.Errorf("-name %q: %w", o.name, err)
	}
	if o.printKey {
		fmt.Fprintln(stdout, wk.String())
		return nil
	}
	var logs []*tlog.LogKey
	for _, v := range o.logs {
		k, err := tlog.ParseLogKey(v)
		if err != nil {
			return fmt.Errorf("-log %q: %w (want the log's verifier key, origin+hash+key)", v, err)
		}
		logs = append(logs, k)
	}
	store, err := witness.OpenStore(filepath.Join(o.data, "witness.db"))
	if err != nil {
		return fmt.Errorf("%w (is another witness running with -data %s?)", err, o.data)
	}
	defer store.Close()
	w, err := witness.New(witness.Config{Name: o.name, Key: key, Logs: logs, Store: store})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	base := o.Scheme() + "://" + ln.Addr().String()
	srv := &http.Server{
		Handler: serve.Handler(newMux(w, logs, logger), serve.Ops{
			Ready: func(context.Context) error {
				_, err := store.Load(logs[0].Origin())
				return err
			},
			Registry: serve.NewRegistry(),
			Logger:   logger,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
	}
	logger.Info("witness listening", "url", base+"/add-checkpoint", "key", wk.String(), "logs", len(logs))
	if ready != nil {
		ready(base)
	}
	return o.Serve(ctx, srv, ln, logger)
}

// newMux routes POST /add-checkpoint to the witness (logging refusals)
// and GET / to a description.
func newMux(w *witness.Witness, logs []*tlog.LogKey, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	h := w.Handler()
	mux.Handle("POST /add-checkpoint", http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: rw, code: 200}
		h.ServeHTTP(rec, r)
		if rec.code != 200 {
			logger.Info("add-checkpoint refused", "status", rec.code, "request_id", r.Header.Get(serve.RequestIDHeader))
		}
	}))
	mux.HandleFunc("GET /{$}", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(rw, "zkcred witness (c2sp.org/tlog-witness)\nkey: %s\n", w.Key())
		for _, l := range logs {
			fmt.Fprintf(rw, "log: %s\n", l)
		}
	})
	return mux
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

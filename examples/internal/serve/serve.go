// Package serve is the server plumbing the example servers (examples/issuer,
// examples/verifier) share: settings from flags or ZKCRED_* environment
// variables, a log/slog logger chosen by -log-format and -log-level, a
// request id on every request, /healthz, /readyz and /metrics, TLS from
// -tls-cert/-tls-key, and a graceful shutdown.
package serve

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/zkcred/zkcred/did/fetch"
)

// EnvPrefix starts the environment variable of every flag: -log-level is
// ZKCRED_LOG_LEVEL.
const EnvPrefix = "ZKCRED_"

// EnvName returns the environment variable of flag name.
func EnvName(name string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Common holds the flags every server takes.
type Common struct {
	LogFormat, LogLevel string
	TLSCert, TLSKey     string
	ShutdownTimeout     time.Duration
	MetricsAddr         string
	// EnvApplied names the ZKCRED_* variables that set flags
	// ([FromEnvNames]), for the start-up log line.
	EnvApplied []string
}

// Register adds -log-format, -log-level, -tls-cert, -tls-key and
// -shutdown-timeout to fs.
func (c *Common) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json (log/slog)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "least level logged: debug, info, warn or error (refusals are info, server-side failures warn and error)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "TLS certificate `FILE` (PEM, the chain): serve HTTPS; published URLs use https")
	fs.StringVar(&c.TLSKey, "tls-key", "", "TLS private key `FILE` (PEM) of -tls-cert")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "on SIGINT or SIGTERM, how long requests in flight may take to finish")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "", "serve /metrics (and /healthz, /readyz) on this separate `address`, plain HTTP, e.g. 127.0.0.1:9090 or the operators' network, instead of on the public address")
}

// Check reports a bad combination of the common flags.
func (c *Common) Check() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("-tls-cert and -tls-key go together: give both (HTTPS) or neither (HTTP)")
	}
	if c.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			return fmt.Errorf("-tls-cert %s -tls-key %s: %w (want PEM files: the certificate chain and its private key)", c.TLSCert, c.TLSKey, err)
		}
	}
	if _, err := c.Logger(io.Discard); err != nil {
		return err
	}
	if c.ShutdownTimeout <= 0 {
		return errors.New("-shutdown-timeout must be positive")
	}
	return nil
}

// Scheme is "https" with -tls-cert, else "http".
func (c *Common) Scheme() string {
	if c.TLSCert != "" {
		return "https"
	}
	return "http"
}

// Logger returns the logger -log-format and -log-level ask for, writing
// to w.
func (c *Common) Logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format %q: want text or json", c.LogFormat)
}

// DocumentEnv appends "(env ZKCRED_NAME)" to the usage of every flag of
// fs, so that -help lists the variables. Call it after defining the flags.
func DocumentEnv(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		f.Usage += " (env " + EnvName(f.Name) + ")"
	})
}

// EnvHelp is the paragraph of -help that explains the variables.
const EnvHelp = `Every flag -NAME can also be set by the environment variable ZKCRED_NAME
(upper case, "-" as "_"): -log-level is ZKCRED_LOG_LEVEL. A flag given on
the command line wins over its variable. Boolean variables take true or
false.
`

// FromEnv sets every flag of fs that the command line did not set from its
// environment variable (see [EnvName]), read with getenv. Call it after
// fs.Parse. An empty variable counts as unset.
func FromEnv(fs *flag.FlagSet, getenv func(string) string) error {
	_, err := FromEnvNames(fs, getenv)
	return err
}

// FromEnvNames is [FromEnv] that also returns the names of the variables
// it applied, for the server to log at start (names only: a value may be
// a secret, such as a DSN with a password).
func FromEnvNames(fs *flag.FlagSet, getenv func(string) string) ([]string, error) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || given[f.Name] {
			return
		}
		v := getenv(EnvName(f.Name))
		if v == "" {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			// The value is not echoed: it may be a secret.
			err = fmt.Errorf("%s (flag -%s): %v", EnvName(f.Name), f.Name, e)
			return
		}
		names = append(names, EnvName(f.Name))
	})
	return names, err
}

// Ops is what the operational endpoints need.
type Ops struct {
	// Ready reports whether the server can do its work now (its store
	// answers, its keys are loaded), and logs why not; nil means always
	// ready. /readyz answers 503 while it fails.
	Ready func(ctx context.Context) error
	// Registry serves /metrics and counts every request by method and
	// status code (zkcred_http_requests_total); nil means no /metrics.
	Registry *prometheus.Registry
	// Logger receives the errors of /metrics.
	Logger *slog.Logger
}

// NewRegistry returns a Prometheus registry with the Go runtime and
// process collectors, as Go services export them.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// RequestIDHeader carries a request's id: taken from the client when it is
// well formed (1 to 64 of [A-Za-z0-9._-]), made up otherwise, and echoed in
// the response. The library handlers log it with every refusal.
const RequestIDHeader = "X-Request-Id"

// ValidRequestID reports whether id is a request id the server keeps.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// newRequestID returns 16 random hex digits.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Handler wraps app with the operational endpoints:
//
//	GET /healthz   200 "ok" while the process serves (liveness)
//	GET /readyz    200 "ready", or 503 (readiness: Ops.Ready, which logs why)
//	GET /metrics   Prometheus text format (Ops.Registry)
//
// and gives every request a request id (see [RequestIDHeader]) before app
// sees it. When [Common.Serve] serves it with -metrics-addr, the three
// are also served on that address and /metrics leaves the main one.
func Handler(app http.Handler, ops Ops) http.Handler {
	logger := ops.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()    // app, health and metrics
	plain := http.NewServeMux()  // app and health: the main address with -metrics-addr
	opsMux := http.NewServeMux() // health and metrics: the -metrics-addr address
	healthz := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	}
	readyz := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if ops.Ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
			defer cancel()
			if err := ops.Ready(ctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, "not ready: see the server's log\n")
				return
			}
		}
		io.WriteString(w, "ready\n")
	}
	for _, m := range []*http.ServeMux{mux, plain, opsMux} {
		m.HandleFunc("GET /healthz", healthz)
		m.HandleFunc("GET /readyz", readyz)
	}
	if ops.Registry != nil {
		metrics := promhttp.HandlerFor(ops.Registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelError)})
		mux.Handle("GET /metrics", metrics)
		opsMux.Handle("GET /metrics", metrics)
		requests := prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zkcred_http_requests_total",
			Help: "HTTP requests answered by the server (all paths), by method and status code.",
		}, []string{"method", "code"})
		ops.Registry.MustRegister(requests)
		app = promhttp.InstrumentHandlerCounter(requests, app)
	}
	mux.Handle("/", app)
	plain.Handle("/", app)
	return &opsHandler{main: withRequestID(mux), plain: withRequestID(plain), ops: withRequestID(opsMux)}
}

// opsHandler is what [Handler] returns: [Common.Serve] moves /metrics to
// -metrics-addr through it.
type opsHandler struct {
	main, plain, ops http.Handler
	metricsElsewhere atomic.Bool
}

func (h *opsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.metricsElsewhere.Load() {
		h.plain.ServeHTTP(w, r)
		return
	}
	h.main.ServeHTTP(w, r)
}

// withRequestID gives every request a request id before h sees it.
func withRequestID(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !ValidRequestID(id) {
			id = newRequestID()
			r.Header.Set(RequestIDHeader, id)
		}
		w.Header().Set(RequestIDHeader, id)
		h.ServeHTTP(w, r)
	})
}

// Serve serves srv on ln (TLS when c names a certificate) until ctx ends,
// then shuts it down gracefully: it stops accepting, lets requests in
// flight finish for c.ShutdownTimeout, and returns. Callers close their
// stores after Serve returns. With -metrics-addr, srv.Handler must come
// from [Handler]: /metrics, /healthz and /readyz are served on that
// address too (plain HTTP), and /metrics no longer on ln.
func (c *Common) Serve(ctx context.Context, srv *http.Server, ln net.Listener, logger *slog.Logger) error {
	if c.MetricsAddr != "" {
		oh, ok := srv.Handler.(*opsHandler)
		if !ok {
			return errors.New("-metrics-addr: this server's handler has no operational endpoints")
		}
		mln, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			return fmt.Errorf("-metrics-addr: %w", err)
		}
		msrv := &http.Server{Handler: oh.ops, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 16 << 10, ErrorLog: srv.ErrorLog}
		oh.metricsElsewhere.Store(true)
		go msrv.Serve(mln)
		defer msrv.Close()
		logger.Info("operations endpoints: /metrics, /healthz, /readyz", "addr", mln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() {
		if c.TLSCert != "" {
			errc <- srv.ServeTLS(ln, c.TLSCert, c.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		if c.TLSCert != "" {
			return fmt.Errorf("serving TLS with -tls-cert %s and -tls-key %s: %w", c.TLSCert, c.TLSKey, err)
		}
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: no new connections, finishing requests in flight", "timeout", c.ShutdownTimeout.String())
	shutCtx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		logger.Warn("shutdown: requests still in flight were cut off", "err", err)
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// NeedsInsecureLocal returns an error that tells a newcomer what to do
// when rawURL (given with flagName) is plain HTTP or names this machine or a
// private network: zkcred fetches did:web documents and revocation roots
// over HTTPS from public addresses only, unless -insecure-local. It
// returns nil for an https URL on a public name, and for URLs it cannot
// parse (the caller's own check reports those). In a link whose query
// carries URLs (an openid-credential-offer:// or openid4vp:// link), it
// checks those. The error wraps [fetch.ErrForbiddenAddress] (this machine,
// a private network) or [fetch.ErrInvalidURL] (plain HTTP), the refusals
// the fetch would meet.
func NeedsInsecureLocal(flagName, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		for _, vs := range u.Query() {
			for _, v := range vs {
				if inner, err := url.Parse(v); err == nil && (inner.Scheme == "http" || inner.Scheme == "https") {
					if err := NeedsInsecureLocal(flagName, v); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	if u.Host == "" {
		return nil
	}
	host := u.Hostname()
	local := host == "localhost" || strings.HasSuffix(host, ".localhost")
	if ip, err := netip.ParseAddr(host); err == nil {
		local = local || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified()
	}
	plain := u.Scheme == "http"
	switch {
	case local && plain:
		return fmt.Errorf("%s points at http://%s, on this machine or a private network, and zkcred fetches (DID documents, revocation roots, offers, requests) from public HTTPS addresses only: add -insecure-local for a development setup on this machine (%w; %w)", flagName, u.Host, fetch.ErrInvalidURL, fetch.ErrForbiddenAddress)
	case local:
		return fmt.Errorf("%s points at %s, on this machine or a private network, and zkcred fetches (DID documents, revocation roots, offers, requests) from public HTTPS addresses only: add -insecure-local for a development setup on this machine (%w)", flagName, u.Host, fetch.ErrForbiddenAddress)
	case plain:
		return fmt.Errorf("%s points at plain HTTP (http://%s), and zkcred fetches (DID documents, revocation roots, offers, requests) over HTTPS only: use the https URL, or add -insecure-local for a development setup on this machine (%w)", flagName, u.Host, fetch.ErrInvalidURL)
	}
	return nil
}

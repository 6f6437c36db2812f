// Command verifier runs a zkcred verifier over HTTP: the presentation
// request API of verifier.Handler (create a request, let a wallet fetch
// it, verify the wallet's zero-knowledge presentation), a store for used
// nonces and nullifiers chosen by flag (an embedded bbolt file or
// PostgreSQL), the OpenID4VP 1.0 endpoints (a signed Request Object by
// request_uri, the response_uri; the verifier is did:web of -base-url,
// its document served at /.well-known/did.json, its keys kept in -data),
// and a small web page at / that creates an OpenID4VP request, shows its
// openid4vp:// link and QR code, and shows the verification result when
// the holder answers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	gnarklog "github.com/consensys/gnark/logger"
	bolt "go.etcd.io/bbolt"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/examples/internal/serve"
	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/zkp"
)

const usage = `usage: verifier -keys DIR -issuer URL [flags]
       verifier migrate-keys -data DIR [-key-passphrase-file FILE | -key-identity FILE]

Runs a zkcred verifier: the request API of verifier.Handler and a web page.

  GET  /                                  the page: create a request, see the result
  POST /requests                          body: a policy -> 201, the request, and the
                                          X-Outcome-Key header
  GET  /requests/{id}                     the request, as a wallet reads it
  POST /requests/{id}/presentations       the wallet's submission -> the result
  GET  /requests/{id}/outcome[?wait=1]    the outcome so far, with the X-Outcome-Key
                                          header (the id alone, in the QR code, does
                                          not read it)

OpenID4VP 1.0 (what the page uses; verifier/protocol/openid4vp/PROFILE.md):
  POST /openid4vp/create                  body: a policy -> 201, {id, uri: the openid4vp:// link, outcomeKey}
  GET  /openid4vp/requests/{id}           the signed Request Object (request_uri)
  POST /openid4vp/response                the wallet's response (response_uri)
  GET  /openid4vp/requests/{id}/outcome[?wait=1]  the outcome so far (the page polls it,
                                          with the X-Outcome-Key header: the id alone,
                                          in the QR code, does not read it)
  GET  /.well-known/did.json              the verifier's did:web document (signing key)

The verifier's OpenID4VP identity is did:web of -base-url; its signing
and encryption keys are created in -data on first use, in
DATA/openid4vp-keys.age, encrypted with age to the passphrase in
ZKCRED_KEY_PASSPHRASE (or -key-passphrase-file FILE) or to an age
identity (-key-identity FILE); a passphrase is never a flag value.
"verifier migrate-keys -data DIR" encrypts the plaintext
openid4vp-keys.json of older verifiers.

POST /requests is open to whoever reaches the server (the page uses it),
limited to the -issuer DIDs: keep the default loopback address, or put the
server behind the service's own authentication. The page's outcomes are
kept in memory, per process.

Operations (the store, keys and logs of a running verifier):
  GET  /healthz                           200 while the process serves
  GET  /readyz                            200 when the store answers (keys are loaded
                                          at start), else 503; the reason is logged
  GET  /metrics                           Prometheus metrics (zkcred_verifier_*,
                                          zkcred_http_*, Go runtime and process);
                                          with -metrics-addr only there, off the
                                          public address

Logs go to stderr (-log-format text or json, -log-level): each refused
request is one info line with its reason code and request id (the
X-Request-Id header, echoed in the response); server-side failures
(store, an issuer unreachable) are warn and error lines. SIGINT or
SIGTERM stops it gracefully (requests in flight finish, stores close).

Trusted issuers are given by base URL (-issuer, repeatable): the issuer's
DID is did:web of its host, and its signed revocation root is fetched from
URL/revocation/root. did:web and the root fetch require HTTPS to a public
address (redirects to the same host only): for local use add
-insecure-local.

` + serve.EnvHelp + `
flags:
`

const examples = `
examples:
  ZKCRED_KEY_PASSPHRASE='...' verifier -keys ./keys -issuer http://127.0.0.1:8081 -insecure-local -store bolt:verifier.db -data ./verifier-data
  verifier migrate-keys -data ./verifier-data
  verifier -keys ./keys -issuer https://agency.example -pg postgres://user@db/zkcred -addr :8443 -audience https://shop.example -base-url https://shop.example -tls-cert cert.pem -tls-key key.pem -log-format json
  ZKCRED_PG=postgres://user@db/zkcred ZKCRED_ISSUER=https://agency.example ZKCRED_KEYS=./keys verifier -addr :8082
`

func main() {
	gnarklog.Disable() // gnark's per-proof debug lines are noise here
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "verifier: error: %v\n", err)
		os.Exit(1)
	}
}

// getenv reads the ZKCRED_* variables (a variable for tests).
var getenv = os.Getenv

type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error {
	// Comma-separated values are several (ZKCRED_ISSUER=URL1,URL2).
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

type options struct {
	addr, store, pg, keys, audience, shape string
	data, baseURL                          string
	issuers                                stringList
	insecureLocal, unsafeSetup             bool
	requestTTL                             time.Duration
	log                                    logFlags   // publiclog.go
	key                                    keyOptions // keys.go
	serve.Common
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("verifier", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
		fmt.Fprint(stderr, examples)
	}
	o := &options{key: keyOptions{passphrase: getenv(envPassphrase)}}
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8082", "listen address")
	o.log.register(fs)
	o.key.register(fs)
	fs.StringVar(&o.store, "store", "bolt:verifier.db", "embedded store: bolt:PATH")
	fs.StringVar(&o.pg, "pg", "", "PostgreSQL `DSN`: use a shared PostgreSQL store instead of -store (a DSN may hold a password: prefer the variable, which ps does not show)")
	fs.StringVar(&o.data, "data", "", "directory of the verifier's OpenID4VP keys, created on first use (default: verifier-data beside the bolt store file)")
	fs.StringVar(&o.baseURL, "base-url", "", "public https URL of this server: its did:web DID and the OpenID4VP request_uri/response_uri (default with -insecure-local: http://<listen address>)")
	fs.StringVar(&o.keys, "keys", "", "circuit key directory shared with holders (required)")
	fs.BoolVar(&o.unsafeSetup, "unsafe-setup", false, "UNSAFE, development only: create keys in -keys if there are none")
	fs.StringVar(&o.shape, "shape", "", "circuit shape for -unsafe-setup: default, reference or shape JSON (testing)")
	fs.Var(&o.issuers, "issuer", "trusted issuer base URL (repeatable, at least one)")
	fs.StringVar(&o.audience, "audience", "", "this verifier's identifier in requests (default: http://<listen address>)")
	fs.BoolVar(&o.insecureLocal, "insecure-local", false, "INSECURE, development only: resolve did:web and fetch revocation roots over http:// and from loopback/private addresses")
	fs.DurationVar(&o.requestTTL, "request-ttl", verifier.DefaultRequestTTL, "how long a request accepts presentations")
	o.Common.Register(fs)
	serve.DocumentEnv(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var err error
	if o.EnvApplied, err = serve.FromEnvNames(fs, getenv); err != nil {
		return nil, err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return nil, fmt.Errorf("bad arguments: unexpected %q (flags go before nothing else)", fs.Arg(0))
	}
	var missing []string
	if o.keys == "" {
		missing = append(missing, "-keys DIR (the circuit keys holders prove with; add -unsafe-setup to create development keys there)")
	}
	if len(o.issuers) == 0 {
		missing = append(missing, "-issuer URL (a trusted issuer's base URL, e.g. http://127.0.0.1:8081 of examples/issuer)")
	}
	if len(missing) > 0 {
		fs.Usage()
		return nil, fmt.Errorf("bad arguments: missing %s", strings.Join(missing, " and "))
	}
	if err := o.Common.Check(); err != nil {
		fs.Usage()
		return nil, fmt.Errorf("bad arguments: %w", err)
	}
	if !o.insecureLocal {
		for _, u := range o.issuers {
			if err := serve.NeedsInsecureLocal("-issuer", u); err != nil {
				return nil, err
			}
		}
	}
	return o, nil
}

// openStore opens the store the flags name.
func openStore(ctx context.Context, o *options) (verifier.Store, func() error, error) {
	if o.pg != "" {
		s, err := verifier.OpenPostgres(ctx, o.pg)
		if err != nil {
			return nil, nil, err
		}
		return s, func() error { s.Close(); return nil }, nil
	}
	path, ok := strings.CutPrefix(o.store, "bolt:")
	if !ok || path == "" {
		return nil, nil, fmt.Errorf("-store %q: want bolt:PATH (or -pg DSN)", o.store)
	}
	s, err := verifier.OpenBolt(path)
	// The library formats bbolt's error into its own (%v, not API): its
	// text says a lock wait timed out (TestSecondVerifier guards this).
	if errors.Is(err, verifier.ErrStore) && strings.HasSuffix(err.Error(), ": "+bolt.ErrTimeout.Error()) {
		return nil, nil, fmt.Errorf("another verifier is using %s (the file is locked): stop it first, or give this one its own -store bolt:PATH (or share a -pg store between instances)", path)
	}
	if err != nil {
		return nil, nil, err
	}
	return s, s.Close, nil
}

// issuerDID returns the did:web DID of an issuer base URL.
func issuerDID(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("-issuer %q is not an http(s) base URL", base)
	}
	var path []string
	if p := strings.Trim(u.Path, "/"); p != "" {
		path = strings.Split(p, "/")
	}
	return did.WebDID(u.Host, path...)
}

// run serves until ctx ends. If ready is not nil it receives the base URL
// once the server listens. A nil logger means the one -log-format and
// -log-level ask for, writing to stderr.
func run(ctx context.Context, args []string, stderr io.Writer, logger *slog.Logger, ready func(baseURL string)) error {
	if len(args) > 0 && args[0] == "migrate-keys" {
		return runMigrateKeys(args[1:], stderr, stderr)
	}
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if logger == nil {
		if logger, err = o.Logger(stderr); err != nil {
			return err
		}
	}
	if len(o.EnvApplied) > 0 {
		logger.Info("settings from the environment", "variables", o.EnvApplied)
	}
	if o.insecureLocal {
		// Loud at every start: a ZKCRED_INSECURE_LOCAL left in a
		// deployment's environment must not pass unnoticed.
		logger.Warn("verifier: INSECURE development setting: -insecure-local is on (did:web, revocation roots and logs fetched over http:// and from private addresses)",
			"from_environment", slices.Contains(o.EnvApplied, serve.EnvName("insecure-local")))
	}
	keys, err := loadKeys(o.keys, o.unsafeSetup, o.shape, logger)
	if err != nil {
		return err
	}
	vk := keys.VerifyingKey
	schema, err := credential.PersonSchema().WithSlots(vk.Shape().Slots)
	if err != nil {
		return err
	}
	resolver, err := newResolver(o.insecureLocal)
	if err != nil {
		return err
	}
	roots, err := newHTTPRoots(o.insecureLocal, logger)
	if err != nil {
		return err
	}
	for _, u := range o.issuers {
		id, err := issuerDID(u)
		if err != nil {
			return err
		}
		roots.urls[id] = strings.TrimRight(u, "/")
	}
	store, closeStore, err := openStore(ctx, o)
	if err != nil {
		return err
	}
	defer closeStore()

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	base := o.Scheme() + "://" + ln.Addr().String()
	if o.audience == "" {
		o.audience = base
	}
	metrics := serve.NewRegistry()
	logPolicy, err := o.log.logPolicy(o.insecureLocal, logger)
	if err != nil {
		return err
	}
	cfg := verifier.Config{
		Store: store, Audience: o.audience, Resolver: resolver, Log: logPolicy, Key: vk,
		Schemas: []*credential.Schema{schema}, TrustedIssuers: roots.dids(), RequestTTL: o.requestTTL, Logger: logger,
		Metrics: metrics,
	}
	if o.log.acceptSignedRoots {
		cfg.Roots = roots
	}
	// OpenID4VP: the verifier is did:web of its base URL, signs its
	// Request Objects with the key it publishes there and takes
	// direct_post.jwt responses encrypted to its P-256 key.
	var oid *oidKeys
	oidBase := strings.TrimRight(o.baseURL, "/")
	if oidBase == "" && o.insecureLocal {
		oidBase = base
	}
	var oidErr error
	if oidBase == "" {
		oidErr = errors.New("OpenID4VP is off: give -base-url https://<this server's public name>, or add -insecure-local for a development setup on this machine")
		logger.Warn("verifier: " + oidErr.Error())
	} else {
		if o.data == "" {
			o.data = "verifier-data"
			if path, ok := strings.CutPrefix(o.store, "bolt:"); ok && o.pg == "" {
				o.data = filepath.Join(filepath.Dir(path), "verifier-data")
			}
		}
		kp, err := o.key.protection()
		if err != nil {
			return err
		}
		if oid, err = loadOIDKeys(o.data, oidBase, kp); err != nil {
			return err
		}
		cfg.ClientDID, cfg.SigningKey, cfg.SigningKeyID = oid.clientDID, oid.signing, oid.sigKID
		cfg.EncryptionKey, cfg.EncryptionKeyID = oid.enc, "enc-1"
		cfg.BaseURL, cfg.InsecureHTTPBaseURL = oidBase, o.insecureLocal
	}
	var app *app
	cfg.OnResponse = func(ctx context.Context, id string, res *verifier.ResponseResult, err error) {
		app.onResponse(ctx, id, res, err)
	}
	v, err := verifier.New(cfg)
	if err != nil {
		return err
	}
	app = newApp(v, schema, roots.dids(), vk.Fingerprint().String(), cfg.ClientDID, logger)
	app.oidErr = oidErr
	h := app.handler()
	if oid != nil {
		docPath, err := did.WebDocumentPath(oid.clientDID)
		if err != nil {
			return err
		}
		docH, err := did.DocumentHandler(oid.doc)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("GET "+docPath, docH)
		mux.Handle("/", h)
		h = mux
	}
	h = serve.Handler(h, serve.Ops{Ready: v.Ready, Registry: metrics, Logger: logger})
	srv := verifier.NewServer(o.addr, h)
	srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	// Requests (the page's long polls included) end when ctx does.
	srv.BaseContext = func(net.Listener) context.Context { return ctx }
	logger.Info("verifier: listening", "url", base, "did", cfg.ClientDID, "audience", o.audience, "issuers", o.issuers,
		"key", vk.Fingerprint().String(), "shape", vk.Shape().String(), "tls", o.TLSCert != "")
	if ready != nil {
		ready(base)
	}
	go app.prune(ctx, store)
	// Serve returns once in-flight requests finished; the deferred
	// closeStore then closes the store.
	return o.Serve(ctx, srv, ln, logger)
}

// newResolver returns the library default resolver, or with insecureLocal
// one that also fetches did:web documents over http:// from loopback and
// private hosts.
func newResolver(insecureLocal bool) (did.Resolver, error) {
	if !insecureLocal {
		return did.NewResolver(nil)
	}
	return did.NewInsecureLocalResolver()
}

// loadKeys loads the circuit keys from dir, or with unsafe creates
// development keys there when it holds none.
func loadKeys(dir string, unsafe bool, shapeName string, logger *slog.Logger) (*zkp.Keys, error) {
	k, err := zkp.LoadKeys(dir, nil)
	if err == nil || !unsafe || !errors.Is(err, os.ErrNotExist) {
		return k, err
	}
	shape, err := zkp.ParseShape(shapeName)
	if err != nil {
		return nil, fmt.Errorf("-shape: %w", err)
	}
	logger.Warn("verifier: no keys: running an UNSAFE development setup", "dir", dir, "shape", shape.String())
	if k, err = zkp.UnsafeSetup(shape, zkp.Groth16); err != nil {
		return nil, err
	}
	return k, k.Save(dir)
}
